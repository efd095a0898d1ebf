namespace BigGan.Training.Model;

/// <summary>The one conv2d every BigGAN layer goes through.</summary>
public static class Convolution
{
    /// <summary>
    /// nn.functional.conv2d, except that a one-channel input whose gradient is needed gets a zero second channel (and
    /// the weight a zero second input slice): libtorch 2.10's CPU convolution backward (oneDNN, TorchSharp 0.107)
    /// returns a wrong, run-to-run different input gradient for one-channel inputs when it runs on several threads
    /// (ConvolutionTests reproduces it), which made D's gradient to G garbage on gray images. Same values.
    /// </summary>
    public static Tensor Conv2d(Tensor input, Tensor weight, Tensor? bias = null, long stride = 1, long padding = 0)
    {
        long[] strides = [stride, stride], pads = [padding, padding];
        if (input.dim() != 4 || input.shape[1] != 1 || !input.requires_grad)
            return nn.functional.conv2d(input, weight, bias, strides, pads);
        using var scope = NewDisposeScope();
        var x = cat([input, zeros_like(input)], 1).contiguous(MemoryFormat.ChannelsLast);
        var w = cat([weight, zeros_like(weight)], 1);
        return nn.functional.conv2d(x, w, bias, strides, pads).MoveToOuterDisposeScope();
    }
}
