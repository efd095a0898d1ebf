using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int bgn_tensor_contiguous_format(TensorHandle t, int format, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_tensor_is_contiguous_format(TensorHandle t, int format, out int value);
    [LibraryImport(Lib)] internal static partial int bgn_factory_like(int kind, TensorHandle t, GeneratorHandle g, out TensorHandle o);
}
