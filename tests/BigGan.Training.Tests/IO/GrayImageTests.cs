using BigGan.Training.IO;
using TorchSharp;
using static TorchSharp.torch;

namespace BigGan.Training.Tests.IO;

[TestClass]
public sealed class GrayImageTests
{
    // Regression (OpenCV binding): one-channel images came back as a view of a freed decoder buffer (garbage pixels).
    [TestMethod]
    public void OneChannelImagesSurviveDecodeAndResize()
    {
        using var scope = NewDisposeScope();
        var pixels = Enumerable.Range(0, 64).Select(i => (byte)(i * 3)).ToArray();
        var image = tensor(pixels, [1, 8, 8]);
        var decoded = ImageCodec.Decode(ImageCodec.EncodePng(image));
        for (int i = 0; i < 100; i++) ImageCodec.Decode(ImageCodec.EncodePng(full([1, 8, 8], i, ScalarType.Byte))); // reuse freed memory
        CollectionAssert.AreEqual(pixels, decoded.data<byte>().ToArray());

        var same = ImageTransforms.Resize(image, 8, 8, ImageInterpolation.Nearest);
        for (int i = 0; i < 100; i++) ImageCodec.Decode(ImageCodec.EncodePng(full([1, 8, 8], 255 - i, ScalarType.Byte)));
        CollectionAssert.AreEqual(pixels, same.data<byte>().ToArray());
    }
}
