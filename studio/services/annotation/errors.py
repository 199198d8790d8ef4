"""The one error the annotation service raises. `status` is the HTTP status a view should answer with."""


class AnnotationError(ValueError):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message
