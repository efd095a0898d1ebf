#!/usr/bin/env bash
# The test command: installs what is missing, builds everything, runs every test project, checks that the
# NuGet package works from a local feed, and ends with one line "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh || exit 1

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
solution=BigGan.sln
build_args=()
projects=(tests/BigGan.Training.Tests)
# ML.NET parts build where NuGet serves them. A feed of your own can be added without editing nuget.config:
# RestoreAdditionalProjectSources=/path/to/feed bash scripts/test.sh (MSBuild reads it from the environment).
if dotnet restore src/BigGan.MLNet/BigGan.MLNet.csproj >/dev/null 2>&1; then
  projects+=(tests/BigGan.MLNet.Tests)
  if dotnet restore src/BigGan.MLNet.Onnx/BigGan.MLNet.Onnx.csproj >/dev/null 2>&1 \
     && dotnet restore tests/BigGan.MLNet.Onnx.Tests/BigGan.MLNet.Onnx.Tests.csproj >/dev/null 2>&1; then
    projects+=(tests/BigGan.MLNet.Onnx.Tests)
  else
    echo "test: skipping BigGan.MLNet.Onnx and its tests: the configured NuGet source does not serve Microsoft.ML.OnnxTransformer 6.0.0 / Microsoft.ML.OnnxRuntime(.Managed) 1.32.0"
    solution=BigGan.NoOnnx.slnf
  fi
else
  echo "test: skipping BigGan.MLNet, BigGan.MLNet.Onnx, their tests and the ML.NET sample: the configured NuGet source does not serve Microsoft.ML 6.0.0"
  solution=BigGan.NoMLNet.slnf
  build_args+=(-p:NoMLNet=true)  # the bench leaves out its ML.NET benchmark
fi

echo "test: building $solution (Release)"
if ! dotnet build "$solution" -c Release -v q -nologo -clp:ErrorsOnly "${build_args[@]}"; then
  echo "test: build failed"; echo "0 passed, 1 failed"; exit 1
fi

passed=0; failed=0
log=$(mktemp)
for p in "${projects[@]}"; do
  echo "test: running $p"
  # Summary lines, and each failure with its message and the first lines of its stack trace.
  dotnet test "$p" -c Release --no-build -nologo 2>&1 | tee "$log" | awk '
    /^[[:space:]]*Failed [^!]/ { shown = 0; inFailure = 1 }
    /(Passed|Failed)!/ || /error/ { print; inFailure = 0; next }
    inFailure && shown < 25 { print; shown++ }' | head -400
  line=$(grep -E "(Passed|Failed)!\s+-" "$log" | tail -1)
  if [[ -z "$line" ]]; then echo "test: $p produced no result"; failed=$((failed + 1)); continue; fi
  f=$(sed -E 's/.*Failed:\s*([0-9]+).*/\1/' <<<"$line"); ps=$(sed -E 's/.*Passed:\s*([0-9]+).*/\1/' <<<"$line")
  passed=$((passed + ps)); failed=$((failed + f))
done
# The ML.NET sample in its short mode (seconds; Fashion-MNIST from install-deps), where the ML.NET projects were built.
if [[ " ${projects[*]} " == *" tests/BigGan.MLNet.Tests "* ]]; then
  if dotnet run --no-build -c Release --project samples/FashionMnistAugmentation -- --short >"$log" 2>&1; then passed=$((passed + 1)); echo "test: sample short mode passed"
  else failed=$((failed + 1)); echo "test: sample short mode FAILED"; tail -20 "$log"; fi
fi

echo "test: package check (dotnet pack BigGan.Training, BigGan.MLNet and BigGan.MLNet.Onnx, consume them from a local feed)"
if bash scripts/package-check.sh >"$log" 2>&1; then passed=$((passed + 1)); echo "test: package check passed"
else failed=$((failed + 1)); echo "test: package check FAILED"; tail -20 "$log"; fi
rm -f "$log"

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
