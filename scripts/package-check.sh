#!/usr/bin/env bash
# Packs BigGan.Training (and BigGan.MLNet where Microsoft.ML is served) into a local folder feed and consumes it from a
# fresh console project outside the solution, as a user would: the app references the CPU libtorch itself, builds
# (BigGan.Training's build step makes TorchSharp's native library load on an older libstdc++) and runs a tiny generator.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet pack "$root/src/BigGan.Training/BigGan.Training.csproj" -c Release -o "$work/feed" -nologo -v q
package=BigGan.Training
if dotnet pack "$root/src/BigGan.MLNet/BigGan.MLNet.csproj" -c Release -o "$work/feed" -nologo -v q >"$work/mlnet-pack.txt" 2>&1; then
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
cat > app.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup>
    <PackageReference Include="$package" Version="*" />
    <PackageReference Include="libtorch-cpu-linux-x64" Version="$libtorch" />
  </ItemGroup>
</Project>
XML
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
