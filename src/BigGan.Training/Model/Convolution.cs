namespace BigGan.Training.Model;

/// <summary>The conv2d every BigGAN layer goes through: libtorch's, around two of its CPU pitfalls.</summary>
public static class Convolution
{
    /// <summary>
    /// nn.functional.conv2d with the same values, except that
    /// <list type="bullet">
    /// <item>a 1×1 convolution is a matrix product over channels (one GEMM on channels-last data; libtorch would send a
    /// small single-threaded one to NNPACK, which fails to initialise on many machines and warns on every call);</item>
    /// <item>a one-channel input gets a zero second channel, so that it and the output are channels-last: libtorch
    /// 2.10's CPU convolution backward (oneDNN) returns a wrong, run-to-run different input gradient on several threads
    /// for NCHW data with few channels, and a one-channel tensor is NCHW to oneDNN whatever its strides, as is then
    /// the output and every layer after it (ConvolutionTests reproduces both). That garbage was D's gradient to G, and
    /// D's own gradients, on gray images.</item>
    /// </list>
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0)
    {
        if (input.dim() != 4 || weight.dim() != 4)
            throw new ArgumentException($"conv2d expects a 4-d input and weight, got [{string.Join(", ", input.shape)}] and [{string.Join(", ", weight.shape)}]");
        using var scope = NewDisposeScope();
        Tensor result;
        if (weight.shape[2] == 1 && weight.shape[3] == 1 && stride == 1 && padding == 0 && weight.shape[1] == input.shape[1])
        {
            var nhwc = nn.functional.linear(input.permute(0, 2, 3, 1), weight.flatten(1), bias);
            result = nhwc.permute(0, 3, 1, 2);
        }
        else if (input.shape[1] == 1)
        {
            var x = cat([input, zeros_like(input)], 1).contiguous(MemoryFormat.ChannelsLast);
            result = nn.functional.conv2d(x, cat([weight, zeros_like(weight)], 1), bias, [stride, stride], [padding, padding]);
        }
        else
        {
            result = nn.functional.conv2d(input, weight, bias, [stride, stride], [padding, padding]);
        }
        return result.MoveToOuterDisposeScope();
    }
}
