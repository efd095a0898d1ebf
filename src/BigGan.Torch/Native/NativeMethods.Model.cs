using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

// BigGAN model area (native/src/model.cpp).
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int bgn_model_upsample_conv3x3(TensorHandle x, TensorHandle w, TensorHandle b, out TensorHandle o);
    [LibraryImport(Lib)] internal static partial int bgn_model_conv3x3_avgpool(TensorHandle x, TensorHandle w, TensorHandle b, out TensorHandle o);
}
