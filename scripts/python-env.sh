#!/usr/bin/env bash
# Makes (once) the Python environment that tests and benchmarks use beside
# Debian's: a virtual environment over the system packages (PyTorch, ONNX,
# NumPy) that adds ONNX Runtime from PyPI, the peer and reference that
# Debian does not package. Usage: python-env.sh [DIR] (default build/py-venv)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${1:-${LATHE_BUILD_DIR:-$root/build}/py-venv}
# The version every figure in docs/ was measured against.
ort_version=1.19.2
if [[ ! -x $venv/bin/python ]]; then
  dpkg-query -W -f='${Status}' python3-venv 2>/dev/null | grep -q "install ok installed" || {
    sudo_cmd=""
    [[ $(id -u) -eq 0 ]] || sudo_cmd="sudo"
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -q --no-install-recommends python3-venv
  }
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
"$venv/bin/python" -c "import onnxruntime" 2>/dev/null ||
  "$venv/bin/pip" install -q --disable-pip-version-check "onnxruntime==$ort_version"
