using BigGan.Training.Runtime;
using TorchSharp;

namespace BigGan.Training.Tests.Runtime;

[TestClass]
public sealed class DevicesTests
{
    [TestMethod]
    public void CpuParses()
    {
        Assert.AreEqual(DeviceType.CPU, Devices.Parse("cpu").type);
        Assert.AreEqual(DeviceType.CPU, Devices.Parse(" CPU ").type);
    }

    [TestMethod]
    public void UnknownNamesSayWhatIsAccepted()
    {
        foreach (var name in new[] { "gpu", "cuda:", "cuda:x", "cuda:-1", "cuda0", "" })
        {
            var e = Assert.ThrowsExactly<ArgumentException>(() => Devices.Parse(name));
            StringAssert.Contains(e.Message, "use cpu, cuda or cuda:N");
        }
    }

    [TestMethod]
    public void CudaWithoutAGpuSaysWhy()
    {
        if (torch.cuda.is_available()) Assert.Inconclusive("CUDA is available here; the error path is not reachable.");
        foreach (var name in new[] { "cuda", "cuda:0", "cuda:3" })
        {
            var e = Assert.ThrowsExactly<InvalidOperationException>(() => Devices.Parse(name));
            StringAssert.Contains(e.Message, $"Device '{name}' was requested");
            // The CPU backend names the build switch; a CUDA build without a GPU names the driver.
            Assert.IsTrue(e.Message.Contains("-p:TorchBackend=cuda", StringComparison.Ordinal) || e.Message.Contains("nvidia-smi", StringComparison.Ordinal), e.Message);
        }
    }

    [TestMethod]
    public void CudaIndexOutOfRangeNamesTheVisibleDevices()
    {
        if (!torch.cuda.is_available()) Assert.Inconclusive("No CUDA device here.");
        var count = torch.cuda.device_count();
        var e = Assert.ThrowsExactly<InvalidOperationException>(() => Devices.Parse($"cuda:{count}"));
        StringAssert.Contains(e.Message, $"{count} CUDA device");
        Assert.AreEqual(DeviceType.CUDA, Devices.Parse("cuda:0").type);
    }
}
