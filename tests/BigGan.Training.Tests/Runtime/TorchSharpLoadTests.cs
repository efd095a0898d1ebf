using BigGan.Tests.Shared;
using BigGan.Training.Runtime;

namespace BigGan.Training.Tests.Runtime;

/// <summary>A fresh process loads TorchSharp's native libraries (libtorch, libLibTorchSharp.so with its GLIBCXX need
/// made weak by the build) and runs an op, with the process settings of <see cref="TorchRuntime"/> in place.</summary>
[TestClass]
public sealed class TorchSharpLoadTests
{
    private sealed class Probe(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment)
        : DotnetChildProcess("BigGan.TorchProbe.dll", "torch probe", "the test project references tests/BigGan.TorchProbe to copy it there", args, environment);

    private static string Run(IEnumerable<string> args, Dictionary<string, string>? environment = null, int exitCode = 0)
    {
        using var probe = new Probe(args, environment);
        if (!probe.TryWaitForExit(TimeSpan.FromMinutes(2))) Assert.Fail($"the probe did not exit within 2 minutes.\n{probe.Describe()}");
        Assert.AreEqual(exitCode, probe.ExitCode, probe.Describe());
        return probe.Stdout;
    }

    [TestMethod]
    public void FreshProcessLoadsTorchSharpAndRunsAnOp()
    {
        var output = Run(["cpu", "--unset-omp"]);
        StringAssert.Contains(output, $"probe: libtorch {TorchRuntime.LibTorchVersion}");
        StringAssert.Contains(output, "on cpu: mm sum 48");
        // Set by the module initializer in the native environment, where libgomp reads it.
        StringAssert.Contains(output, "probe: omp PASSIVE (set); native OMP_WAIT_POLICY=PASSIVE");
    }

    [TestMethod]
    public void UserSettingsWin()
    {
        var output = Run(["cpu"], new() { ["OMP_WAIT_POLICY"] = "ACTIVE", [TorchRuntime.MallocVariable] = "default" });
        StringAssert.Contains(output, "probe: omp ACTIVE (user); native OMP_WAIT_POLICY=ACTIVE");
        StringAssert.Contains(output, "probe: malloc glibc defaults");
        StringAssert.Contains(output, "mm sum 48");

        output = Run(["cpu"], new() { ["GLIBC_TUNABLES"] = "glibc.malloc.mmap_max=0" });
        StringAssert.Contains(output, "probe: malloc user's GLIBC_TUNABLES");
    }

    [TestMethod]
    public void MallocSettingIsOnByDefault()
    {
        var output = Run(["cpu"], new() { [TorchRuntime.MallocVariable] = "tuned", ["GLIBC_TUNABLES"] = "" });
        StringAssert.Contains(output, "probe: malloc mmap off");
    }
}
