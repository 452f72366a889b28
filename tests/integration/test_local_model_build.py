"""The llama.cpp build the gateway runs on: it answers with the bundled model in a process of
its own (a native crash, such as the AMX kernels' segfault on Intel Xeons, is then a clear
failure naming the signal, not a dead test run), and it carries no instructions this CPU lacks
and none that the portable build (Makefile: LLAMA_CPU_ARGS) leaves out."""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from gateway.providers.llama_cpp_local import has_amx_kernels, without_extra_buffer_types
from tests.services import require

pytestmark = pytest.mark.slow

ANSWER_IN_A_CHILD = """
import json
from gateway.providers.llama_cpp_local import LlamaCppBackend, bundled_model_path
options = {"model_path": str(bundled_model_path()), "n_ctx": 512, "n_gpu_layers": -1, "n_threads": 2}
backend = LlamaCppBackend(options)
chat = {"messages": [{"role": "user", "content": "Hello"}], "max_tokens": 8, "temperature": 0}
answer = backend.complete("chat", chat)
streamed = []
backend.stream("completions", {"prompt": "Paris is", "max_tokens": 4}, lambda c: streamed.append(c) is None)
print(json.dumps({"usage": answer["usage"], "streamed": len(streamed), "built": backend.describe()}))
"""
# llama.cpp's names for what it was compiled for -> /proc/cpuinfo's names for the same
CPU_FLAGS = {
    "SSE3": "pni", "SSSE3": "ssse3", "AVX": "avx", "AVX2": "avx2", "F16C": "f16c", "FMA": "fma",
    "BMI2": "bmi2", "AVX_VNNI": "avx_vnni", "AVX512": "avx512f", "AVX512_VBMI": "avx512vbmi",
    "AVX512_VNNI": "avx512_vnni", "AVX512_BF16": "avx512_bf16", "AMX_INT8": "amx_int8",
}  # fmt: skip


def compiled_for() -> set[str]:
    import llama_cpp

    info = llama_cpp.llama_print_system_info().decode()
    return {part.split("=")[0].strip() for part in info.split("|") if part.strip().endswith("= 1")}


def test_the_bundled_model_answers_in_a_child_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", ANSWER_IN_A_CHILD], capture_output=True, text=True, timeout=300
    )
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        pytest.fail(f"llama.cpp died of {name} on the bundled model: {done.stderr[-2000:]}")
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert 0 < result["usage"]["completion_tokens"] <= 8
    assert result["streamed"] >= 2  # token by token


def test_the_library_uses_no_instruction_this_cpu_lacks() -> None:
    cpu = set(Path("/proc/cpuinfo").read_text().split("flags")[1].split("\n")[0].split())
    missing = {name for name in compiled_for() if name in CPU_FLAGS and CPU_FLAGS[name] not in cpu}
    assert missing == set(), f"llama.cpp was built for another CPU (rebuild: make setup): {missing}"


def test_the_library_is_the_portable_build() -> None:
    """No AVX-512 and no AMX kernels: a wheel that runs on every x86-64-v3 server (`make setup`
    builds it so; a build with other LLAMA_CMAKE_ARGS fails here on purpose)."""
    assert not {name for name in compiled_for() if name.startswith(("AVX512", "AMX"))}


def test_amx_builds_run_without_the_extra_buffer_types() -> None:
    import llama_cpp

    assert has_amx_kernels("CPU : AVX2 = 1 | AMX_INT8 = 1 | OPENMP = 1 |")
    assert not has_amx_kernels("CPU : AVX2 = 1 | AVX512 = 1 | OPENMP = 1 |")
    assert llama_cpp.llama_model_default_params().use_extra_bufts  # llama.cpp's default: on
    params = without_extra_buffer_types(llama_cpp.llama_model_default_params)()
    assert params.use_extra_bufts is False
    assert params.n_gpu_layers == llama_cpp.llama_model_default_params().n_gpu_layers  # the rest kept


# AVX-512 code names zmm registers or opmask registers; AMX code uses tiles. What llama.cpp says
# it was compiled for is one thing; the machine code itself is the proof.
WIDER_THAN_AVX2 = re.compile(r"%zmm\d|\{%k[1-7]\}|\btileloadd|\btdpb|\bldtilecfg")


def test_the_shipped_machine_code_has_no_avx512_and_no_amx_instruction() -> None:
    import llama_cpp

    require(shutil.which("objdump") is not None, "objdump (binutils)")
    assert WIDER_THAN_AVX2.search("vpdpbusd %zmm1,%zmm2,%zmm3") and WIDER_THAN_AVX2.search("tdpbssd %tmm0")
    libraries = sorted(Path(llama_cpp.__file__).parent.glob("lib/*.so*"))
    assert any("ggml-cpu" in path.name for path in libraries), libraries
    for library in libraries:
        listing = subprocess.run(
            ["objdump", "-d", "--no-show-raw-insn", str(library)],
            capture_output=True, text=True, check=True, timeout=300,
        ).stdout  # fmt: skip
        assert len(listing) > 10_000, library  # a real disassembly
        found = sorted({match.group(0) for match in WIDER_THAN_AVX2.finditer(listing)})
        assert found == [], f"{library.name} uses {found[:5]}: not the portable build"
