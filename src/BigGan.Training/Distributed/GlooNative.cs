using System.Runtime.InteropServices;
using System.Text;

namespace BigGan.Training.Distributed;

/// <summary>Status codes of libbiggan_gloo (native/include/biggan_gloo.h).</summary>
internal static class GlooStatus
{
    public const int Ok = 0, Argument = 1, Timeout = 2, Io = 3, Error = 4;
}

/// <summary>Element types and reductions of bgn_gloo_allreduce.</summary>
internal enum GlooType { Float32 = 0, Float64 = 1, Float16 = 2, Int32 = 3, Int64 = 4, UInt8 = 5 }

internal enum GlooOp { Sum = 0, Max = 1, Min = 2 }

/// <summary>The store callbacks handed to bgn_gloo_connect (layout of bgn_gloo_store).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct GlooStoreCallbacks
{
    public IntPtr State;
    public delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, long, byte*, int, int> Set;
    public delegate* unmanaged[Cdecl]<IntPtr, byte*, long, IntPtr, byte*, int, int> Get;
    public delegate* unmanaged[Cdecl]<IntPtr, byte**, int, long, byte*, int, int> Wait;
}

/// <summary>
/// libbiggan_gloo, loaded on first use and bound by hand (no assembly-wide DllImport resolver, which only one
/// component of an assembly may install). Looked for at BIGGAN_GLOO_LIB, next to the application and this assembly
/// (also under runtimes/linux-x64/native), then by the loader's usual search.
/// </summary>
internal static unsafe class GlooNative
{
    public const string LibraryName = "libbiggan_gloo.so";
    public const string OverrideVariable = "BIGGAN_GLOO_LIB";
    private const int AbiVersion = 1;

    private static readonly Lazy<Api> Loaded = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The bound library; throws <see cref="DllNotFoundException"/> with what to do when it cannot load.</summary>
    public static Api Library => Loaded.Value;

    public static bool TryLoad(out string? why)
    {
        try
        {
            _ = Loaded.Value;
            why = null;
            return true;
        }
        catch (DllNotFoundException e)
        {
            why = e.Message;
            return false;
        }
    }

    internal sealed class Api
    {
        public required delegate* unmanaged[Cdecl]<IntPtr> LastError;
        public required delegate* unmanaged[Cdecl]<IntPtr, byte*, long, int> SinkPut;
        public required delegate* unmanaged[Cdecl]<GlooStoreCallbacks*, byte*, byte*, int, int, long, IntPtr*, int> Connect;
        public required delegate* unmanaged[Cdecl]<IntPtr, void> Destroy;
        public required delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, long*, int, int, int, long, int> Allreduce;
        public required delegate* unmanaged[Cdecl]<IntPtr, IntPtr, long, int, long, int> Broadcast;
        public required delegate* unmanaged[Cdecl]<IntPtr, long, int> Barrier;

        /// <summary>The message of the last failure on this thread.</summary>
        public string Error() => Marshal.PtrToStringUTF8(LastError()) is { Length: > 0 } m ? m : "unknown native error";
    }

    private static Api Load()
    {
        var tried = new List<string>();
        IntPtr handle = IntPtr.Zero;
        string? loadError = null;
        var forced = Environment.GetEnvironmentVariable(OverrideVariable);
        if (!string.IsNullOrWhiteSpace(forced))
        {
            // An explicit path is the only candidate: falling back elsewhere would hide a mistake in it.
            if (!NativeLibrary.TryLoad(forced, out handle))
                throw new DllNotFoundException($"{OverrideVariable}={forced}: {LoadFailure(forced)}. Point {OverrideVariable} at a built {LibraryName} (dotnet build of BigGan.Training builds it into artifacts/native-gloo/) or unset it.");
        }
        else
        {
            var dirs = new[] { AppContext.BaseDirectory, Path.GetDirectoryName(typeof(GlooNative).Assembly.Location) }
                .Where(d => !string.IsNullOrEmpty(d))
                .Select(d => Path.TrimEndingDirectorySeparator(Path.GetFullPath(d!)))
                .Distinct();
            foreach (var dir in dirs)
            {
                foreach (var path in new[] { Path.Combine(dir, LibraryName), Path.Combine(dir, "runtimes", "linux-x64", "native", LibraryName) })
                {
                    tried.Add(path);
                    if (!File.Exists(path)) continue;
                    if (NativeLibrary.TryLoad(path, out handle)) break;
                    loadError ??= $"{path} exists but did not load: {LoadFailure(path)}";
                }
                if (handle != IntPtr.Zero) break;
            }
            if (handle == IntPtr.Zero && !NativeLibrary.TryLoad(LibraryName, typeof(GlooNative).Assembly, DllImportSearchPath.SafeDirectories | DllImportSearchPath.AssemblyDirectory, out handle))
                throw new DllNotFoundException(
                    $"the Gloo shim {LibraryName} (distributed training on CPU) could not be loaded: " +
                    (loadError ?? $"it is not in {string.Join(", ", tried)} nor on the loader's search path") +
                    $". It is built by `dotnet build` of BigGan.Training (CMake, native/) and needs Gloo: install it with `apt-get install libgloo-dev` " +
                    $"(libgloo0 suffices at run time), or set {OverrideVariable} to the library's path.");
        }
        try
        {
            var version = (delegate* unmanaged[Cdecl]<int>)Export(handle, "bgn_gloo_abi_version");
            var v = version();
            if (v != AbiVersion)
                throw new DllNotFoundException($"{LibraryName} has ABI version {v}, this assembly expects {AbiVersion}: rebuild native/ (dotnet build) or fix {OverrideVariable}");
            return new Api
            {
                LastError = (delegate* unmanaged[Cdecl]<IntPtr>)Export(handle, "bgn_gloo_last_error"),
                SinkPut = (delegate* unmanaged[Cdecl]<IntPtr, byte*, long, int>)Export(handle, "bgn_gloo_sink_put"),
                Connect = (delegate* unmanaged[Cdecl]<GlooStoreCallbacks*, byte*, byte*, int, int, long, IntPtr*, int>)Export(handle, "bgn_gloo_connect"),
                Destroy = (delegate* unmanaged[Cdecl]<IntPtr, void>)Export(handle, "bgn_gloo_destroy"),
                Allreduce = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, long*, int, int, int, long, int>)Export(handle, "bgn_gloo_allreduce"),
                Broadcast = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr, long, int, long, int>)Export(handle, "bgn_gloo_broadcast"),
                Barrier = (delegate* unmanaged[Cdecl]<IntPtr, long, int>)Export(handle, "bgn_gloo_barrier"),
            };
        }
        catch (EntryPointNotFoundException e)
        {
            throw new DllNotFoundException($"{LibraryName} lacks an export ({e.Message}): it is not the BigGan Gloo shim or is out of date; rebuild native/ (dotnet build)", e);
        }
    }

    private static IntPtr Export(IntPtr handle, string name) => NativeLibrary.GetExport(handle, name);

    private static string LoadFailure(string path)
    {
        try
        {
            NativeLibrary.Free(NativeLibrary.Load(path));
            return "unknown reason";
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            // .NET prefixes the loader's own words (dlerror, on its last line) with generic advice: keep the words.
            var lines = e.Message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return (lines.Length > 0 ? lines[^1] : e.Message).TrimEnd('.');
        }
    }

    /// <summary>Writes a message for the native side into its error buffer (UTF-8, NUL-terminated, truncated to fit).</summary>
    public static void WriteError(string message, byte* buffer, int size)
    {
        if (buffer == null || size <= 0) return;
        var bytes = Encoding.UTF8.GetBytes(message);
        var n = Math.Min(bytes.Length, size - 1);
        bytes.AsSpan(0, n).CopyTo(new Span<byte>(buffer, n));
        buffer[n] = 0;
    }

    /// <summary>A NUL-terminated UTF-8 copy of the string, for a native call.</summary>
    public static byte[] Utf8z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }
}
