namespace BigGan.Torch;

/// <summary>An error raised by libtorch (shape mismatch, index out of range, ...), carrying libtorch's own message.</summary>
public sealed class TorchException : Exception
{
    /// <summary>The native status kind: 1 libtorch error, 2 other C++ exception, 3 unknown.</summary>
    public int Kind { get; }

    public TorchException(string message, int kind = 1) : base(message) => Kind = kind;
}
