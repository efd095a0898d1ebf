#!/usr/bin/env bash
# Packs BigGan.Training (and BigGan.MLNet, BigGan.MLNet.Onnx where Microsoft.ML is served) into a local folder feed and
# consumes it from a fresh console project outside the solution, as a user would: the app references the CPU libtorch
# itself, builds (BigGan.Training's build step makes TorchSharp's native library load on an older libstdc++) and runs a
# tiny generator; with the ML.NET packages it fits and saves a GenerateBigGanImages pipeline and an ONNX-route model,
# and a second process loads both zips and must score exactly as the first did.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet pack "$root/src/BigGan.Training/BigGan.Training.csproj" -c Release -o "$work/feed" -nologo -v q
package=BigGan.Training
if dotnet pack "$root/src/BigGan.MLNet/BigGan.MLNet.csproj" -c Release -o "$work/feed" -nologo -v q >"$work/mlnet-pack.txt" 2>&1 \
   && dotnet pack "$root/src/BigGan.MLNet.Onnx/BigGan.MLNet.Onnx.csproj" -c Release -o "$work/feed" -nologo -v q >>"$work/mlnet-pack.txt" 2>&1; then
  package=BigGan.MLNet
else
  echo "package-check: BigGan.MLNet did not pack (Microsoft.ML not served?); checking BigGan.Training alone:"; tail -3 "$work/mlnet-pack.txt"
fi
# Listed to a file, not piped into grep -q (with pipefail an early grep exit can fail the pipeline), and said aloud.
unzip -l "$work"/feed/BigGan.Training.*.nupkg > "$work/contents.txt"
for f in buildTransitive/BigGan.Training.targets buildTransitive/WeakenGlibcxxVersionNeed.cs build/BigGan.Training.targets lib/net10.0/BigGan.Training.dll; do
  if ! grep -q "$f" "$work/contents.txt"; then
    echo "package-check: the BigGan.Training package lacks $f; it holds:"; cat "$work/contents.txt"; exit 1
  fi
done
libtorch=$(dotnet msbuild "$root/src/BigGan.Cli/BigGan.Cli.csproj" -getProperty:LibTorchVersion)
mkdir "$work/app" && cd "$work/app"
# The packages built here are restored into a folder of their own so that no later restore anywhere picks up this test
# build; the shared package folder, as a fallback, serves libtorch (500 MB) without a second download. NUGET_PACKAGES,
# because dotnet run ignores --packages for its restore (seen with SDK 10.0.401).
shared="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
export NUGET_PACKAGES="$work/packages"
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources><clear /><add key="local" value="$work/feed" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources>
  <fallbackPackageFolders><add key="shared" value="$shared" /></fallbackPackageFolders>
</configuration>
XML
if [ "$package" = BigGan.MLNet ]; then
  # What a user of the ML.NET packages adds: Microsoft.ML, BigGan.MLNet, and for the ONNX route BigGan.MLNet.Onnx with
  # the native ONNX Runtime (BigGan.MLNet.Onnx brings only the managed API).
  references='<PackageReference Include="Microsoft.ML" Version="6.0.0" />
    <PackageReference Include="BigGan.MLNet" Version="*" />
    <PackageReference Include="BigGan.MLNet.Onnx" Version="*" />
    <PackageReference Include="Microsoft.ML.OnnxRuntime" Version="1.32.0" />'
else
  references='<PackageReference Include="BigGan.Training" Version="*" />'
fi
cat > app.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup>
    $references
    <PackageReference Include="libtorch-cpu-linux-x64" Version="$libtorch" />
  </ItemGroup>
</Project>
XML
if [ "$package" != BigGan.MLNet ]; then
cat > Program.cs <<'CS'
using BigGan.Training.Model;
using BigGan.Training.Runtime;
using TorchSharp;

var device = Devices.Parse("cpu");
using var g = new Generator(ModelConfig.Cifar(numClasses: 10, channels: 1, ch: 4));
g.eval();
using var noGrad = torch.no_grad();
using var z = torch.randn(2, g.DimZ);
using var y = torch.tensor(new long[] { 1, 7 });
using var images = g.forward(z, y);
Console.WriteLine($"libtorch {torch.__version__} on {device}: images [{string.Join(", ", images.shape)}]");
if (!images.shape.SequenceEqual(new long[] { 2, 1, 32, 32 })) throw new Exception("unexpected image shape");
CS
dotnet run -c Release
exit 0
fi

cat > Program.cs <<'CS'
// `app fit <dir>` fits and saves two models and their scores; `app score <dir>` (a second process) loads and compares.
using System.Globalization;
using BigGan.MLNet;
using BigGan.Training.Model;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using Microsoft.ML;
using Microsoft.ML.Data;
using TorchSharp;

string mode = args[0], dir = args[1];
// The same tiny generator in both processes (weights from a fixed seed; a real app opens a run folder).
using var rng = new torch.Generator(1);
var g = new Generator(ModelConfig.Cifar(numClasses: 10, channels: 1, ch: 4), rng);
g.eval();
using var sampler = new BigGanSampler(g, ownsGenerator: true);
var ml = new MLContext(seed: 1);
var test = ml.Data.LoadFromBigGan(sampler, 20, new BigGanDataOptions { BaseSeed = 2, IncludePixels = false });
var requests = ml.Data.LoadFromBigGan(sampler, 4, BigGanOnnxRoute.RequestOptions(new BigGanDataOptions { BaseSeed = 3 }));
string pipelineZip = Path.Combine(dir, "pipeline.zip"), onnxZip = Path.Combine(dir, "onnx.zip");

if (mode == "fit")
{
    var train = ml.Data.LoadFromBigGan(sampler, 100, new BigGanDataOptions { BaseSeed = 1, IncludePixels = false });
    var model = ml.Transforms.GenerateBigGanImages(sampler)
        .Append(ml.Transforms.NormalizeMinMax("Features", BigGanColumns.Pixels))
        .AppendCacheCheckpoint(ml)
        .Append(ml.MulticlassClassification.Trainers.SdcaMaximumEntropy("Label", "Features", maximumNumberOfIterations: 5))
        .Fit(train);
    ml.Model.Save(model, train.Schema, pipelineZip);
    File.WriteAllLines(Path.Combine(dir, "scores.txt"), Values(model.Transform(test), "Score"));

    // The ONNX route: `biggan export`'s default graph, its bytes saved inside the zip; the .onnx file is deleted.
    string onnxFile = Path.Combine(dir, "g.onnx");
    GeneratorExporter.Export(sampler, onnxFile, new GeneratorExportOptions { ClassInput = OnnxClassInput.IndexColumn });
    var onnx = ml.Transforms.ApplyBigGanOnnxGenerator(onnxFile, BigGanOnnxGraph.From(sampler)).Fit(requests);
    ml.Model.Save(onnx, requests.Schema, onnxZip);
    File.WriteAllLines(Path.Combine(dir, "pixels.txt"), Values(onnx.Transform(requests), BigGanColumns.Pixels));
    (onnx as IDisposable)?.Dispose();
    File.Delete(onnxFile);
    Console.WriteLine($"fit: saved {new FileInfo(pipelineZip).Length / 1024} KiB pipeline and {new FileInfo(onnxZip).Length / 1024} KiB ONNX-route zips");
    return 0;
}

// Nothing is registered yet: the ONNX-route zip carries the generator itself.
var loadedOnnx = ml.Model.Load(onnxZip, out _);
Same("ONNX-route pixels", File.ReadAllLines(Path.Combine(dir, "pixels.txt")), Values(loadedOnnx.Transform(requests), BigGanColumns.Pixels));
// The GenerateBigGanImages zip names the generator's shape: register the generator (or set BIGGAN_GENERATOR_RUN).
BigGanGeneratorRegistry.Register(sampler);
var loaded = ml.Model.Load(pipelineZip, out _);
Same("pipeline scores", File.ReadAllLines(Path.Combine(dir, "scores.txt")), Values(loaded.Transform(test), "Score"));
Console.WriteLine("score: a second process loaded both zips and scored exactly as the first");
return 0;

static string[] Values(IDataView view, string column) => view.GetColumn<VBuffer<float>>(column)
    .Select(v => string.Join(" ", v.DenseValues().Select(x => x.ToString("R", CultureInfo.InvariantCulture)))).ToArray();

static void Same(string what, string[] expected, string[] actual)
{
    if (!expected.SequenceEqual(actual)) throw new Exception($"{what} differ after loading in a second process");
}
CS
dotnet build -c Release -nologo -v q -clp:ErrorsOnly
dotnet bin/Release/net10.0/app.dll fit "$work"
dotnet bin/Release/net10.0/app.dll score "$work"
