namespace BigGan.Torch.Tests;

[TestClass]
public sealed class GrayImageTests
{
    // Regression: one-channel images came back as a view of the freed OpenCV buffer (garbage pixels).
    [TestMethod]
    public void OneChannelImagesSurviveDecodeAndResize()
    {
        using var scope = NewDisposeScope();
        var pixels = Enumerable.Range(0, 64).Select(i => (byte)(i * 3)).ToArray();
        var image = tensor(pixels, [1, 8, 8]);
        var decoded = torchvision.io.decode_image(torchvision.io.encode_png(image));
        for (int i = 0; i < 100; i++) torchvision.io.decode_image(torchvision.io.encode_png(full([1, 8, 8], i, ScalarType.Byte))); // reuse freed memory
        CollectionAssert.AreEqual(pixels, decoded.data<byte>());

        var same = torchvision.transforms.functional.resize(image, 8, 8, torchvision.transforms.functional.InterpolationMode.NEAREST);
        for (int i = 0; i < 100; i++) torchvision.io.decode_image(torchvision.io.encode_png(full([1, 8, 8], 255 - i, ScalarType.Byte)));
        CollectionAssert.AreEqual(pixels, same.data<byte>());
    }
}
