#!/usr/bin/env bash
# Installs what BigGan.NET needs on a fresh Debian machine, saying what it installs. Safe to run repeatedly.
set -euo pipefail

# libtorch itself comes from NuGet (TorchSharp's libtorch-cpu-linux-x64 package, chosen by -p:TorchBackend).
APT_PACKAGES=(
  libgloo-dev             # gloo headers, for the native Gloo shim in native/
  cmake g++               # to build the native shim
  dataset-fashion-mnist   # the demo's data set (/usr/share/datasets/fashion-mnist)
  python3-torch           # independent reference for numeric cross-checks in tests
  python3-onnx            # ONNX checker for exported models in tests
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  [[ "$p" == \#* ]] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "install-deps: Debian packages present"
fi

command -v dotnet >/dev/null || { echo "install-deps: the .NET SDK (10.0) is required: https://dot.net" >&2; exit 1; }

# libtorch (TorchSharp) and ONNX Runtime come from NuGet with the build.
