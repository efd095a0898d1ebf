using System.Runtime.InteropServices;
using BigGan.Torch.Native;

namespace BigGan.Torch;

/// <summary>A distributed operation failed: the rendezvous could not complete, a collective timed out, or a peer
/// died. After one during a collective the process group is not usable any more: dispose it and exit.</summary>
public sealed class DistributedException : Exception
{
    public DistributedException(string message) : base(message) { }

    public DistributedException(string message, Exception inner) : base(message, inner) { }

    /// <summary>Like <see cref="Status.Check"/>, but communication failures become <see cref="DistributedException"/>.</summary>
    internal static void Check(int rc)
    {
        if (rc == Status.Ok) return;
        var message = Marshal.PtrToStringUTF8(NativeMethods.bgn_last_error()) ?? "unknown native error";
        throw rc switch
        {
            Status.Argument => new ArgumentException(message),
            Status.OutOfMemory => new OutOfMemoryException("libtorch: " + message),
            _ => new DistributedException(message),
        };
    }
}
