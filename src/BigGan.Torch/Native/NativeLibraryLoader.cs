using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

/// <summary>
/// Finds libbgnshim.so and checks, before the first op runs, that it speaks our ABI and sits on a supported libtorch.
/// Search order: the BIGGAN_NATIVE_LIB environment variable (a full path), the application directory,
/// runtimes/linux-x64/native under it (the NuGet layout), then the system's default search.
/// </summary>
public static class NativeLibraryLoader
{
    /// <summary>The ABI version this assembly was written against (BGN_ABI_VERSION in bgn.h).</summary>
    public const int ExpectedAbiVersion = 1;

    /// <summary>libtorch major.minor versions this binding is known to work with.</summary>
    public static readonly IReadOnlyList<string> SupportedTorchVersions = ["1.13"];

    /// <summary>Environment variable holding an explicit path to libbgnshim.so.</summary>
    public const string PathVariable = "BIGGAN_NATIVE_LIB";

    private const string FileName = "libbgnshim.so";
    private static IntPtr _handle;
    private static readonly object Gate = new();

#pragma warning disable CA2255 // a module initializer is the documented way to install a DllImport resolver
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void Install() => NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        lock (Gate)
        {
            if (_handle != IntPtr.Zero) return _handle;
            PreferPassiveOpenMpThreads();
            var tried = new List<string>();
            foreach (var candidate in Candidates())
            {
                tried.Add(candidate);
                if (File.Exists(candidate) && NativeLibrary.TryLoad(candidate, out var h)) { _handle = Verify(h, candidate); return _handle; }
            }
            tried.Add(FileName + " (default search path)");
            if (NativeLibrary.TryLoad(FileName, assembly, searchPath, out var def)) { _handle = Verify(def, FileName); return _handle; }
            throw new DllNotFoundException(DescribeMissingLibrary(tried, LastLoadError(tried)));
        }
    }

    /// <summary>
    /// libtorch's OpenMP threads spin between parallel regions by default; when other processes share the cores, the
    /// spinning threads steal the time the working ones need and a training step gets several times slower (measured:
    /// 7.7 s instead of 1.2 s per iteration with two busy neighbours on 2 cores). Passive waiting costs little on an idle
    /// machine, so it is the default here unless OMP_WAIT_POLICY is set. It must be in the native environment before
    /// libgomp loads, and .NET's Environment.SetEnvironmentVariable does not reach the native environment on Linux.
    /// </summary>
    private static void PreferPassiveOpenMpThreads()
    {
        if (OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") is null)
            _ = setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
    }

    [DllImport("libc", CharSet = CharSet.Ansi)]
    private static extern int setenv(string name, string value, int overwrite);

    private static IEnumerable<string> Candidates()
    {
        var env = Environment.GetEnvironmentVariable(PathVariable);
        if (!string.IsNullOrEmpty(env)) yield return env;
        foreach (var dir in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(NativeLibraryLoader).Assembly.Location) })
        {
            if (string.IsNullOrEmpty(dir)) continue;
            yield return Path.Combine(dir, FileName);
            yield return Path.Combine(dir, "runtimes", "linux-x64", "native", FileName);
        }
    }

    // The dynamic loader's own message names the missing dependency (e.g. libtorch_cpu.so.1.13), which is the actionable part.
    private static string? LastLoadError(List<string> tried)
    {
        foreach (var path in tried.Where(File.Exists))
        {
            try { NativeLibrary.Free(NativeLibrary.Load(path)); }
            catch (Exception e) { return e.Message; }
        }
        return null;
    }

    private static unsafe IntPtr Verify(IntPtr handle, string path)
    {
        var abi = ((delegate* unmanaged<int>)NativeLibrary.GetExport(handle, "bgn_abi_version"))();
        var version = Marshal.PtrToStringUTF8(((delegate* unmanaged<IntPtr>)NativeLibrary.GetExport(handle, "bgn_torch_version"))()) ?? "";
        var problem = DescribeVersionMismatch(abi, version, path);
        if (problem is not null) throw new DllNotFoundException(problem);
        return handle;
    }

    /// <summary>Null when the native library is compatible, else an actionable message.</summary>
    public static string? DescribeVersionMismatch(int abiVersion, string torchVersion, string path)
    {
        if (abiVersion != ExpectedAbiVersion)
            return $"{path} implements bgnshim ABI {abiVersion}, but BigGan.Torch {typeof(NativeLibraryLoader).Assembly.GetName().Version} " +
                   $"expects ABI {ExpectedAbiVersion}. Rebuild the native library from this source tree (dotnet build builds native/), " +
                   $"or unset {PathVariable} if it points at an old build.";
        var majorMinor = string.Join('.', torchVersion.Split('.').Take(2));
        if (!SupportedTorchVersions.Contains(majorMinor))
            return $"{path} was built against libtorch {torchVersion}, but BigGan.Torch supports libtorch {string.Join(", ", SupportedTorchVersions)}. " +
                   "Install Debian's libtorch-dev (1.13) or rebuild native/ against a supported libtorch (BIGGAN_TORCH_DIR=<libtorch>/share/cmake/Torch), " +
                   $"or point {PathVariable} at a {FileName} built for the libtorch you have.";
        return null;
    }

    /// <summary>The message for a library that could not be found or loaded.</summary>
    public static string DescribeMissingLibrary(IReadOnlyList<string> tried, string? loaderError)
    {
        var msg = $"Could not load the BigGan.Torch native library {FileName}. Looked in: {string.Join("; ", tried)}. ";
        if (loaderError is not null)
            msg += $"The dynamic loader said: {loaderError}. ";
        msg += "libtorch 1.13 must be installed (Debian: apt-get install libtorch-dev libopenblas0-pthread libopencv-imgcodecs-dev), " +
               $"and {FileName} must sit next to the application, under runtimes/linux-x64/native, or at the path in {PathVariable}.";
        return msg;
    }
}
