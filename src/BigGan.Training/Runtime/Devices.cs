using System.Globalization;
using TorchSharp;

namespace BigGan.Training.Runtime;

/// <summary>Device names as the CLI and configuration files spell them: <c>cpu</c>, <c>cuda</c>, <c>cuda:N</c>.</summary>
public static class Devices
{
    /// <summary>
    /// The TorchSharp device for a name, after loading libtorch (<see cref="TorchRuntime.EnsureLoaded"/>). A CUDA name
    /// fails with a message saying why when CUDA is not usable here or N is not a visible device.
    /// </summary>
    /// <exception cref="ArgumentException">Not one of cpu, cuda, cuda:N.</exception>
    /// <exception cref="InvalidOperationException">CUDA is not available, or N is out of range.</exception>
    public static torch.Device Parse(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var text = name.Trim().ToLowerInvariant();
        int? index = null;
        if (text == "cpu")
        {
            TorchRuntime.EnsureLoaded();
            return torch.CPU;
        }
        if (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            index = n;
        else if (text != "cuda")
            throw new ArgumentException($"Unknown device '{name}': use cpu, cuda or cuda:N (N = 0 for the first GPU).", nameof(name));

        TorchRuntime.EnsureLoaded();
        if (!torch.cuda.is_available()) throw new InvalidOperationException(CudaUnavailable(name));
        var count = torch.cuda.device_count();
        if (index >= count)
        {
            var visible = Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES");
            throw new InvalidOperationException(
                $"Device '{name}' does not exist: {count} CUDA device{(count == 1 ? " is" : "s are")} visible (cuda:0{(count > 1 ? $" to cuda:{count - 1}" : "")})" +
                (visible is null ? "." : $" with CUDA_VISIBLE_DEVICES={visible}."));
        }
        return torch.device(DeviceType.CUDA, index ?? -1);
    }

    private static string CudaUnavailable(string name)
    {
        // libtorch_cuda.so is only in the CUDA build of libtorch; its absence means the CPU backend was chosen.
        var cudaBuild = System.Runtime.InteropServices.NativeLibrary.TryLoad("torch_cuda", typeof(torch).Assembly, null, out _);
        return cudaBuild
            ? $"Device '{name}' was requested, but the CUDA build of libtorch found no usable GPU: check that nvidia-smi lists one, " +
              $"that the NVIDIA driver supports CUDA 12.8, and CUDA_VISIBLE_DEVICES ({Environment.GetEnvironmentVariable("CUDA_VISIBLE_DEVICES") ?? "not set"}). Use the cpu device to run without a GPU."
            : $"Device '{name}' was requested, but this program runs on the CPU build of libtorch. For a GPU, build with " +
              $"-p:TorchBackend=cuda (the TorchSharp-cuda-linux package) on a machine with an NVIDIA driver; otherwise use cpu.";
    }
}
