using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

// sampling (native/src/sampling.cpp)
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int bgn_sampling_scale_shift_relu(TensorHandle x, TensorHandle scale, TensorHandle shift, out TensorHandle result);
    [LibraryImport(Lib)] internal static partial int bgn_sampling_phase_scale_shift_relu(TensorHandle y, TensorHandle scale, TensorHandle shift, out TensorHandle result);
}
