#!/usr/bin/env bash
# The main job: installs what is missing, builds the biggan tool, and runs `biggan demo`: a CPU-sized BigGAN trained
# on Fashion-MNIST for a bounded time (default about 10 minutes; pass --minutes N), with a sample sheet PNG at each
# checkpoint, then a synthetic dataset written from the EMA generator. Extra arguments go to `biggan demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
dotnet build src/BigGan.Cli/BigGan.Cli.csproj -c Release -v q -nologo -clp:ErrorsOnly
exec dotnet src/BigGan.Cli/bin/Release/net10.0/biggan.dll demo "$@"
