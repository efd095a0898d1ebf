using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;

namespace BigGan.Training.Runtime;

/// <summary>
/// Process-level settings libtorch reads once, applied before TorchSharp loads it, and a load check that explains
/// failures. The settings run from a module initializer: every BigGan.Training code path that touches torch runs after
/// it, so there is no call site to forget. An application that calls TorchSharp itself before touching any BigGan type
/// calls <see cref="EnsureInitialized"/> first (it only makes sure the initializer has run).
/// </summary>
/// <remarks>
/// Environment: <c>OMP_WAIT_POLICY</c> (left alone when set), <c>GLIBC_TUNABLES</c> with a <c>glibc.malloc.</c> entry or
/// <c>MALLOC_*_</c> variables (then malloc is left alone), <c>BIGGAN_MALLOC=default</c> (opt out of the malloc setting).
/// </remarks>
public static partial class TorchRuntime
{
    /// <summary>Environment variable that turns the malloc setting off when set to <c>default</c>.</summary>
    public const string MallocVariable = "BIGGAN_MALLOC";

    // mallopt parameters (malloc.h).
    private const int M_TRIM_THRESHOLD = -1, M_MMAP_MAX = -4;

    private static readonly object Gate = new();
    private static bool _loaded;

    /// <summary>What was done to OMP_WAIT_POLICY: "PASSIVE (set)", "X (user)", or why nothing was done.</summary>
    public static string OpenMpWaitPolicy { get; private set; } = "not applied";

    /// <summary>What was done to glibc malloc: "mmap off, trim at 2 GiB", or why nothing was done.</summary>
    public static string Malloc { get; private set; } = "not applied";

    /// <summary>True when libtorch was already in the process when the settings ran (TorchSharp used first), so the
    /// OpenMP setting came too late for libgomp.</summary>
    public static bool LateForOpenMp { get; private set; }

#pragma warning disable CA2255 // settings libgomp and malloc read early must precede any torch use; see the class summary
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Initialize()
    {
        if (!OperatingSystem.IsLinux()) { OpenMpWaitPolicy = Malloc = "not Linux"; return; }
        LateForOpenMp = LibTorchMapped();
        try
        {
            ApplyOpenMpWaitPolicy();
            ApplyMalloc();
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not glibc (e.g. musl): neither setting is known to help there.
            Malloc = $"not applied ({e.GetType().Name})";
        }
    }

    /// <summary>Makes sure the process settings have been applied; call it before using TorchSharp directly when no
    /// BigGan.Training type has been touched yet.</summary>
    public static void EnsureInitialized() { }

    /// <summary>
    /// libtorch's OpenMP threads spin between parallel regions by default; on a shared machine the spinning threads steal
    /// the cores the working ones need and steps got several times slower. libgomp reads the variable when it loads,
    /// from the native environment, which Environment.SetEnvironmentVariable does not reach on Linux.
    /// </summary>
    private static void ApplyOpenMpWaitPolicy()
    {
        const string name = "OMP_WAIT_POLICY";
        var current = Getenv(name);
        if (current is not null) { OpenMpWaitPolicy = $"{current} (user)"; return; }
        if (setenv(name, "PASSIVE", 0) != 0) { OpenMpWaitPolicy = "not applied (setenv failed)"; return; }
        Environment.SetEnvironmentVariable(name, "PASSIVE"); // keep the managed view (and child processes) in step
        OpenMpWaitPolicy = "PASSIVE (set)";
    }

    /// <summary>
    /// glibc serves every block above 32 MiB with a fresh mmap and unmaps it on free, so each large activation of a
    /// forward pass page-faults new memory: the sampler ran at 0.33–0.54× ONNX Runtime's speed, 1.03× with mmap off.
    /// M_MMAP_THRESHOLD cannot help (capped at 32 MiB on 64-bit); M_MMAP_MAX=0 keeps large blocks in the heap, and a
    /// high trim threshold stops free() from returning the heap top only to fault it back in on the next pass. Freed
    /// blocks are reused, so memory stays at the peak working set instead of growing.
    /// </summary>
    private static void ApplyMalloc()
    {
        if (string.Equals(Environment.GetEnvironmentVariable(MallocVariable), "default", StringComparison.OrdinalIgnoreCase))
        {
            Malloc = $"glibc defaults ({MallocVariable}=default)";
            return;
        }
        var tunables = Getenv("GLIBC_TUNABLES");
        if (tunables is not null && tunables.Contains("glibc.malloc.", StringComparison.Ordinal))
        {
            Malloc = $"user's GLIBC_TUNABLES ({tunables})";
            return;
        }
        foreach (var legacy in new[] { "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_" })
        {
            if (Getenv(legacy) is not null) { Malloc = $"user's {legacy}"; return; }
        }
        // mallopt returns 1 on success, 0 on error.
        var ok = mallopt(M_MMAP_MAX, 0) == 1 & mallopt(M_TRIM_THRESHOLD, int.MaxValue) == 1;
        Malloc = ok ? "mmap off, trim at 2 GiB" : "not applied (mallopt refused)";
    }

    /// <summary>
    /// Loads libtorch and TorchSharp's native library for the device type, or throws a <see cref="DllNotFoundException"/>
    /// that says which library failed, why (the loader's own words) and what to do. Without this check a failed load
    /// makes TorchSharp copy all of libtorch from the NuGet cache next to the application and then report a missing
    /// package reference, whatever the cause was.
    /// </summary>
    public static void EnsureLoaded(DeviceType deviceType = DeviceType.CPU)
    {
        lock (Gate)
        {
            if (!_loaded)
            {
                // The order TorchSharp uses. typeof does not run torch's static constructor, which loads the natives.
                var assembly = typeof(torch).Assembly;
                Load("torch_cpu", assembly);
                Load("LibTorchSharp", assembly);
                torch.InitializeDeviceType(DeviceType.CPU);
                _loaded = true;
            }
        }
        if (deviceType != DeviceType.CPU) torch.InitializeDeviceType(deviceType);
    }

    private static void Load(string name, System.Reflection.Assembly assembly)
    {
        if (NativeLibrary.TryLoad(name, assembly, null, out _)) return;
        string reason;
        try
        {
            NativeLibrary.Load(name, assembly, null);
            return; // loaded on the second try (nothing to explain)
        }
        catch (DllNotFoundException e) { reason = e.Message; }
        throw new DllNotFoundException(DescribeLoadFailure(name, reason));
    }

    /// <summary>The message for a library that did not load, from the loader's reason (public for tests).</summary>
    public static string DescribeLoadFailure(string name, string reason)
    {
        var file = $"lib{name}.so";
        var where = AppContext.BaseDirectory;
        string advice;
        var glibcxx = System.Text.RegularExpressions.Regex.Match(reason, @"GLIBCXX_[0-9.]+");
        if (glibcxx.Success)
        {
            advice = $"{file} needs {glibcxx.Value} from libstdc++, and the system's libstdc++ is older. BigGan.Training's build " +
                     $"step marks that need weak in the build output when it is safe (TorchSharp 0.107: GLIBCXX_3.4.32); it did not " +
                     $"take effect for {where} (copied from another build, built with -p:BigGanWeakenGlibcxx=false, or built on a " +
                     $"machine whose libstdc++ has it: rebuild here, or build with -p:BigGanWeakenGlibcxx=true). Otherwise install a " +
                     $"libstdc++ from GCC 13 or newer.";
        }
        else if (reason.Contains("cannot open shared object file", StringComparison.Ordinal) || reason.Contains("No such file", StringComparison.Ordinal))
        {
            advice = name == "LibTorchSharp"
                ? $"{file} (from the TorchSharp package) or a library it needs is not next to the application or under its runtimes/ folder. Check that the TorchSharp package restored and that a libtorch package is referenced."
                : $"No libtorch is next to the application or under its runtimes/ folder: reference the native backend, e.g. " +
                  $"<PackageReference Include=\"libtorch-cpu-linux-x64\" Version=\"{LibTorchVersion}\" /> (or TorchSharp-cpu / TorchSharp-cuda-linux); " +
                  $"in the BigGan.NET repository build with -p:TorchBackend=cpu or -p:TorchBackend=cuda.";
        }
        else advice = "The dynamic loader's message above names the file and the cause.";
        return $"TorchSharp could not load {file} for {where}: {advice}\nLoader: {reason}";
    }

    /// <summary>The libtorch version TorchSharp 0.107 is built against.</summary>
    public const string LibTorchVersion = "2.10.0";

    private static bool LibTorchMapped()
    {
        try { return File.ReadAllText("/proc/self/maps").Contains("libtorch_cpu.so", StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }

    private static string? Getenv(string name) => Marshal.PtrToStringUTF8(getenv(name));

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc", EntryPoint = "getenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int mallopt(int param, int value);
}
