namespace BigGan.Torch.Tests;

[TestClass]
public sealed class SmokeTests
{
    [TestMethod]
    public void AddsTwoTensors()
    {
        using var a = tensor(new float[] { 1, 2, 3 });
        using var b = tensor(new float[] { 10, 20, 30 });
        using var c = a + b;
        CollectionAssert.AreEqual(new float[] { 11, 22, 33 }, c.data<float>());
        Assert.AreEqual("1.13", string.Join('.', __version__.Split('.').Take(2)));
    }
}
