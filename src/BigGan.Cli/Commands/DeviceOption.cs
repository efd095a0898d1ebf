using System.CommandLine;
using BigGan.Training.Runtime;
using TorchSharp;

namespace BigGan.Cli.Commands;

/// <summary>The --device option of every command that runs libtorch.</summary>
internal static class DeviceOption
{
    public static Option<string> Create() =>
        new("--device") { Description = "where to compute: cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };

    /// <summary>Checks the name (an unknown name, or CUDA where there is none, fails saying why) and returns the device.</summary>
    public static torch.Device Apply(string name)
    {
        var device = Devices.Parse(name);
        if (device.type != DeviceType.CPU)
            throw new NotSupportedException($"--device {name}: this version of biggan computes on the CPU only (the trainer and sampler do not move their tensors to a GPU yet); use --device cpu");
        return device;
    }
}
