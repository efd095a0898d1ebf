#!/usr/bin/env bash
# Packs BigGan.Torch and consumes it from a local folder feed in a fresh console project, as a user would.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet pack "$root/src/BigGan.Torch/BigGan.Torch.csproj" -c Release -o "$work/feed" -nologo -v q
# Listed to a file, not piped into grep -q (with pipefail an early grep exit can fail the pipeline), and said aloud.
unzip -l "$work"/feed/BigGan.Torch.*.nupkg > "$work/contents.txt"
if ! grep -q "runtimes/linux-x64/native/libbgnshim.so" "$work/contents.txt"; then
  echo "package-check: the BigGan.Torch package lacks runtimes/linux-x64/native/libbgnshim.so; it holds:"; cat "$work/contents.txt"; exit 1
fi
mkdir "$work/app" && cd "$work/app"
cat > nuget.config <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration><packageSources><clear /><add key="local" value="$work/feed" /><add key="nuget.org" value="https://api.nuget.org/v3/index.json" /></packageSources></configuration>
XML
cat > app.csproj <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><OutputType>Exe</OutputType><TargetFramework>net10.0</TargetFramework><Nullable>enable</Nullable><ImplicitUsings>enable</ImplicitUsings></PropertyGroup>
  <ItemGroup><PackageReference Include="BigGan.Torch" Version="*" /></ItemGroup>
</Project>
XML
cat > Program.cs <<'CS'
using static BigGan.Torch.torch;
using var a = randn(new long[] { 3, 4 });
using var b = ones(new long[] { 4, 2 });
using var c = a.mm(b);
Console.WriteLine($"libtorch {__version__}, result shape [{string.Join(", ", c.shape)}]");
if (c.shape[0] != 3 || c.shape[1] != 2) throw new Exception("wrong shape");
CS
dotnet run -c Release --packages "$work/packages"
