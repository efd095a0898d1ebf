using BigGan.Torch.Native;

namespace BigGan.Torch.Tests;

/// <summary>The loading handshake's messages tell the user what is wrong and what to do.</summary>
[TestClass]
public sealed class LoaderMessageTests
{
    private const string Lib = "/opt/app/libbgnshim.so";

    [TestMethod]
    public void TheLoadedLibraryPassesItsOwnHandshake()
    {
        Assert.IsNull(NativeLibraryLoader.DescribeVersionMismatch(NativeLibraryLoader.ExpectedAbiVersion, __version__, Lib));
        Assert.IsNull(NativeLibraryLoader.DescribeVersionMismatch(NativeLibraryLoader.ExpectedAbiVersion, "1.13.1", Lib), "patch releases are fine");
    }

    [TestMethod]
    public void AbiMismatchSaysWhichVersionsAndHowToFixIt()
    {
        var m = NativeLibraryLoader.DescribeVersionMismatch(NativeLibraryLoader.ExpectedAbiVersion + 1, "1.13.0", Lib)!;
        Assert.IsNotNull(m);
        StringAssert.Contains(m, Lib);
        StringAssert.Contains(m, $"ABI {NativeLibraryLoader.ExpectedAbiVersion + 1}");
        StringAssert.Contains(m, $"expects ABI {NativeLibraryLoader.ExpectedAbiVersion}");
        StringAssert.Contains(m, "dotnet build");
        StringAssert.Contains(m, "BIGGAN_NATIVE_LIB");
    }

    [TestMethod]
    public void TorchVersionMismatchNamesBothVersionsAndTheFixes()
    {
        foreach (var version in new[] { "2.1.0", "1.12.1", "", "garbage" })
        {
            var m = NativeLibraryLoader.DescribeVersionMismatch(NativeLibraryLoader.ExpectedAbiVersion, version, Lib);
            Assert.IsNotNull(m, $"'{version}' must be rejected");
            StringAssert.Contains(m, Lib);
            StringAssert.Contains(m, $"libtorch {version},");
            StringAssert.Contains(m, "1.13");
            StringAssert.Contains(m, "libtorch-dev");
            StringAssert.Contains(m, "BIGGAN_TORCH_DIR");
            StringAssert.Contains(m, "BIGGAN_NATIVE_LIB");
        }
    }

    [TestMethod]
    public void MissingLibraryListsWhereItLookedAndWhatToInstall()
    {
        string[] tried = ["/env/libbgnshim.so", "/app/libbgnshim.so", "/app/runtimes/linux-x64/native/libbgnshim.so"];
        var m = NativeLibraryLoader.DescribeMissingLibrary(tried, "libtorch_cpu.so.1.13: cannot open shared object file: No such file or directory");
        foreach (var t in tried) StringAssert.Contains(m, t);
        StringAssert.Contains(m, "The dynamic loader said: libtorch_cpu.so.1.13: cannot open shared object file");
        StringAssert.Contains(m, "libtorch-dev");
        StringAssert.Contains(m, "libopenblas0-pthread");
        StringAssert.Contains(m, "BIGGAN_NATIVE_LIB");
        StringAssert.Contains(m, "runtimes/linux-x64/native");
        var quiet = NativeLibraryLoader.DescribeMissingLibrary(tried, null);
        Assert.DoesNotContain("dynamic loader", quiet);
        StringAssert.Contains(quiet, "libtorch 1.13 must be installed");
    }
}
