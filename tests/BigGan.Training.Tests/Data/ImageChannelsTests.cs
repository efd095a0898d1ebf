using BigGan.Training.Data;
using TorchSharp;

namespace BigGan.Training.Tests.Data;

[TestClass]
public sealed class ImageChannelsTests
{
    [TestMethod]
    public void RgbBecomesBt601LumaAndGrayIsRepeated()
    {
        using var scope = torch.NewDisposeScope();
        // One 1×2 image: pixel 0 = (r, g, b) = (1, -1, 0.5), pixel 1 = (-0.2, 0.4, -1).
        var rgb = torch.tensor(new[] { 1f, -0.2f, -1f, 0.4f, 0.5f, -1f }).view(1, 3, 1, 2);
        var gray = ImageChannels.Convert(rgb, 1);
        CollectionAssert.AreEqual(new long[] { 1, 1, 1, 2 }, gray.shape);
        var g = gray.data<float>().ToArray();
        Assert.AreEqual(0.299 * 1 + 0.587 * -1 + 0.114 * 0.5, g[0], 1e-6);
        Assert.AreEqual(0.299 * -0.2 + 0.587 * 0.4 + 0.114 * -1, g[1], 1e-6);

        var back = ImageChannels.Convert(gray, 3);
        CollectionAssert.AreEqual(new long[] { 1, 3, 1, 2 }, back.shape);
        var b = back.data<float>().ToArray();
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 2; i++)
                Assert.AreEqual(g[i], b[c * 2 + i]);
        Assert.IsTrue(ImageChannels.Convert(rgb, 3).eq(rgb).all().item<bool>(), "matching channels are left as they are");
    }

    [TestMethod]
    public void OtherChannelCountsAreRefusedNamingThem()
    {
        using var scope = torch.NewDisposeScope();
        var two = torch.zeros(1, 2, 4, 4);
        var e = Assert.ThrowsExactly<ArgumentException>(() => ImageChannels.Convert(two, 1));
        StringAssert.Contains(e.Message, "2 channel(s)");
        var bytes = torch.zeros(new long[] { 1, 3, 4, 4 }, dtype: torch.ScalarType.Byte);
        e = Assert.ThrowsExactly<ArgumentException>(() => ImageChannels.Convert(bytes, 1));
        StringAssert.Contains(e.Message, "expected float images [N, C, H, W], got Byte");
        e = Assert.ThrowsExactly<ArgumentException>(() => ImageChannels.Convert(torch.zeros(3, 4, 4), 1));
        StringAssert.Contains(e.Message, "[3, 4, 4]");
    }
}
