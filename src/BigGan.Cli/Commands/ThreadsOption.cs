using System.CommandLine;
using TorchSharp;
using static TorchSharp.torch;
using BigGan.Training.Distributed;
using BigGan.Training.IO;

namespace BigGan.Cli.Commands;

/// <summary>The --threads option of every command that runs libtorch, and how it takes effect.</summary>
internal static class ThreadsOption
{
    public static Option<int> Create() =>
        new("--threads") { Description = "libtorch threads (default: all cores)", DefaultValueFactory = _ => Environment.ProcessorCount };

    /// <summary>Checks the value and sets libtorch's intra-op thread count to it.</summary>
    public static int Apply(int threads)
    {
        if (threads < 1) throw new ArgumentException($"--threads {threads}: expected at least 1");
        torch.set_num_threads(threads);
        return threads;
    }
}
