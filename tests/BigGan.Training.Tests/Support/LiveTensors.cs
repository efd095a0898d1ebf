using BigGan.Torch;

namespace BigGan.Training.Tests.Support;

/// <summary>
/// The managed and native tensor counts at one moment, taken after garbage from earlier tests has been finalized:
/// a tensor another test forgot to dispose may otherwise have its native handle finalized in the middle of a leak
/// check and move the native count by itself.
/// </summary>
internal readonly record struct LiveTensors(long Managed, long Native)
{
    public static LiveTensors Now()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new LiveTensors(Tensor.LiveCount, torch.native_live_tensors());
    }

    /// <summary>Fails naming both counts when the tensors alive now differ from <paramref name="before"/>.</summary>
    public static void AssertUnchangedSince(LiveTensors before, string what)
    {
        var now = Now();
        Assert.AreEqual(before, now, $"{what}: live tensors (managed, native) were {before}, now {now}");
    }
}
