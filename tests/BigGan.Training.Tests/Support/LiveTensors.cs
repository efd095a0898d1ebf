using TorchSharp;

namespace BigGan.Training.Tests.Support;

/// <summary>
/// The live tensor count (TorchSharp's count of tensor handles not yet disposed) at one moment, taken after garbage from
/// earlier tests has been finalized: a tensor another test forgot to dispose may otherwise be finalized in the middle of
/// a leak check and move the count by itself.
/// </summary>
internal readonly record struct LiveTensors(long Count)
{
    public static LiveTensors Now()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new LiveTensors(torch.Tensor.TotalCount);
    }

    /// <summary>Fails naming both counts when the tensors alive now differ from <paramref name="before"/>.</summary>
    public static void AssertUnchangedSince(LiveTensors before, string what)
    {
        var now = Now();
        Assert.AreEqual(before, now, $"{what}: live tensors were {before}, now {now}");
    }
}
