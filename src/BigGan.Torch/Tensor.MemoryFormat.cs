using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>How a 4-d tensor's elements are laid out in memory (torch.memory_format).</summary>
public enum MemoryFormat
{
    /// <summary>Row-major NCHW.</summary>
    Contiguous = 0,

    /// <summary>NHWC strides with NCHW sizes: oneDNN's native CPU layout, faster for convolutions, BN, pooling and upsampling.</summary>
    ChannelsLast = 1,
}

public partial class Tensor
{
    /// <summary>A copy in the given memory format (this same data when it already is).</summary>
    public Tensor contiguous(MemoryFormat format)
    {
        Check(N.bgn_tensor_contiguous_format(Handle, (int)format, out var h));
        return new Tensor(h);
    }

    public bool is_contiguous(MemoryFormat format)
    {
        Check(N.bgn_tensor_is_contiguous_format(Handle, (int)format, out var v));
        return v != 0;
    }
}
