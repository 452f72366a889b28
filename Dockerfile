# The gateway image. CPU build by default; for NVIDIA GPUs build with
#   docker build --build-arg BASE=nvidia/cuda:12.4.1-devel-ubuntu22.04 \
#                --build-arg EXTRA_APT="python3.11 python3.11-venv python3.11-dev" \
#                --build-arg LLAMA_GPU_ARGS="-DGGML_CUDA=on" -t gateway:cuda .
# The lock is for CPython 3.11, so the CUDA image installs that Python from apt.
# llama.cpp is compiled for x86-64-v3 (AVX2), not for the CPU of the machine that builds the
# image (Makefile, LLAMA_CPU_ARGS): the image runs on any x86-64 server with AVX2.
ARG BASE=python:3.11-slim-bookworm
FROM ${BASE}

ARG LLAMA_GPU_ARGS=""
ARG EXTRA_APT=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS=""

RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential cmake make ${EXTRA_APT} \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml Makefile ./
COPY requirements ./requirements
COPY gateway ./gateway
COPY migrations ./migrations
COPY policies ./policies
RUN make setup PYTHON=python3.11 LLAMA_GPU_ARGS="${LLAMA_GPU_ARGS}" LLAMA_WHEELS=/tmp/llama-wheels \
 && rm -rf /tmp/llama-wheels /root/.cache/pip

EXPOSE 8080
# `serve` upgrades the database through Alembic before it listens.
CMD [".venv/bin/gateway", "serve", "--host", "0.0.0.0", "--port", "8080"]
