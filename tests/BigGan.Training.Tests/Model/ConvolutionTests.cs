using BigGan.Training.Model;

namespace BigGan.Training.Tests.Model;

[TestClass]
public sealed class ConvolutionTests
{
    // One-channel input, few output channels: the shape for which libtorch 2.10's multi-threaded conv backward returned
    // a different (often NaN) input gradient on most runs.
    private static (Tensor output, Tensor gradInput) Run(Tensor x0, Tensor w, Tensor upstream)
    {
        var x = x0.clone().requires_grad_();
        var y = Convolution.Conv2d(x, w, padding: 1);
        y.mul(upstream).sum().backward();
        return (y.detach(), x.grad!.clone());
    }

    [TestMethod]
    public void OneChannelInputGradientIsRepeatableAndCorrectOnSeveralThreads()
    {
        var threads = torch.get_num_threads();
        using var scope = NewDisposeScope();
        using var g = new torch.Generator(1);
        var x0 = randn([16, 1, 32, 32], generator: g);
        var w = randn([4, 1, 3, 3], generator: g);
        var upstream = randn([16, 4, 32, 32], generator: g);
        Tensor reference;
        try
        {
            torch.set_num_threads(1);
            var x = x0.clone().requires_grad_();
            nn.functional.conv2d(x, w, padding: [1, 1]).mul(upstream).sum().backward();
            reference = x.grad!.clone();
            torch.set_num_threads(2);
            for (int i = 0; i < 10; i++)
            {
                var (y, grad) = Run(x0, w, upstream);
                Assert.AreEqual(0.0, ModelAssert.MaxAbsDiff(nn.functional.conv2d(x0, w, padding: [1, 1]), y), "same forward values");
                Assert.IsTrue(ModelAssert.MaxAbsDiff(reference, grad) < 1e-5, $"run {i}: input gradient differs from the one-thread reference by {ModelAssert.MaxAbsDiff(reference, grad)}");
            }
        }
        finally { torch.set_num_threads(threads); }
    }
}
