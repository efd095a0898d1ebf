using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

/// <summary>Turns a native status code into the matching managed exception, at once.</summary>
internal static class Status
{
    internal const int Ok = 0, Torch = 1, Std = 2, Unknown = 3, Argument = 4, OutOfMemory = 5;

    internal static void Check(int rc)
    {
        if (rc != Ok) Throw(rc);
    }

    private static void Throw(int rc)
    {
        var message = Marshal.PtrToStringUTF8(NativeMethods.bgn_last_error()) ?? "unknown native error";
        throw rc switch
        {
            Argument => new ArgumentException(message),
            OutOfMemory => new OutOfMemoryException("libtorch: " + message),
            _ => new TorchException(message, rc),
        };
    }
}
