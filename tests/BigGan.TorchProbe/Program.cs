using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using BigGan.Training.Runtime;
using TorchSharp;

// Usage: BigGan.TorchProbe [device] [--unset-omp]. Prints "probe: ..." lines that TorchSharpLoadTests reads.
// --unset-omp removes an inherited OMP_WAIT_POLICY before BigGan.Training's module initializer runs (the test host
// itself has BigGan.Training loaded, so its children inherit the variable).
if (args.Contains("--unset-omp")) _ = Probe.unsetenv("OMP_WAIT_POLICY");
return Probe.Run(args.FirstOrDefault(a => !a.StartsWith("--", StringComparison.Ordinal)) ?? "cpu");

internal static partial class Probe
{
    // Kept out of line so that no BigGan.Training member is touched before the unsetenv above.
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static int Run(string deviceName)
    {
        Console.WriteLine($"probe: omp {TorchRuntime.OpenMpWaitPolicy}; native OMP_WAIT_POLICY={Marshal.PtrToStringUTF8(getenv("OMP_WAIT_POLICY")) ?? "(unset)"}");
        Console.WriteLine($"probe: malloc {TorchRuntime.Malloc}");
        torch.Device device;
        try { device = Devices.Parse(deviceName); }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Console.WriteLine($"probe: device error {e.Message}");
            return 3;
        }
        using var a = torch.ones(new long[] { 3, 4 }, device: device);
        using var b = torch.full(new long[] { 4, 2 }, 2.0f, device: device);
        using var c = a.mm(b);
        using var sum = c.sum();
        Console.WriteLine($"probe: libtorch {torch.__version__} on {device}: mm sum {sum.item<float>()}");
        return 0;
    }

    [LibraryImport("libc", EntryPoint = "unsetenv", StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int unsetenv(string name);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
