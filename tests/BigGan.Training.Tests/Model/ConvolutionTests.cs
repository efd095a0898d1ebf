using BigGan.Training.Model;
namespace BigGan.Training.Tests.Model;

/// <summary>
/// libtorch 2.10's CPU convolution backward (oneDNN) returns wrong, often NaN, input gradients on several threads for
/// few-channel NCHW data, one-channel inputs included whatever their strides. BigGAN's layers run channels-last and
/// give one-channel inputs a zero second channel (Convolution.Conv2d); these shapes are the ones that failed.
/// </summary>
[TestClass]
public sealed class ConvolutionTests
{
    [TestMethod]
    public void FewChannelInputGradientsOnTwoThreadsEqualTheOneThreadGradients()
    {
        var threads = torch.get_num_threads();
        try
        {
            foreach (var (stride, kernel) in new[] { (1L, 3L), (2L, 4L), (1L, 1L) })
                foreach (var (cin, cout) in new[] { (1L, 4L), (2L, 4L), (4L, 1L), (4L, 8L), (16L, 1L) })
                {
                    using var scope = NewDisposeScope();
                    using var g = new torch.Generator(1);
                    var x0 = randn([16, cin, 32, 32], generator: g);
                    x0 = x0.contiguous(MemoryFormat.ChannelsLast);
                    var w = randn([cout, cin, kernel, kernel], generator: g);
                    long pad = kernel == 1 ? 0 : 1;
                    var upstream = randn(Convolution.Conv2d(x0, w, stride: stride, padding: pad).shape, generator: g);
                    Tensor InputGradient(int n)
                    {
                        torch.set_num_threads(n);
                        var x = x0.clone().requires_grad_();
                        Convolution.Conv2d(x, w, stride: stride, padding: pad).mul(upstream).sum().backward();
                        return x.grad!.clone();
                    }
                    var reference = InputGradient(1);
                    for (int i = 0; i < 3; i++)
                    {
                        var d = ModelAssert.MaxAbsDiff(reference, InputGradient(2));
                        Assert.IsTrue(d < 1e-4, $"{kernel}×{kernel}/{stride} conv, {cin}→{cout} channels, run {i}: the input gradient differs by {d}");
                    }
                }
        }
        finally { torch.set_num_threads(threads); }
    }

    [TestMethod]
    public void AOneChannelInputGivesAChannelsLastOutput()
    {
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(2);
        var x = randn([4, 1, 8, 8], generator: g);
        var w = randn([3, 1, 3, 3], generator: g);
        var y = Convolution.Conv2d(x, w, padding: 1);
        Assert.IsTrue(y.is_contiguous(MemoryFormat.ChannelsLast) && !y.is_contiguous(), "the layers after it stay channels-last");
        Assert.IsTrue(ModelAssert.MaxAbsDiff(nn.functional.conv2d(x, w, padding: [1, 1]), y) < 1e-5, "same values");
    }
}
