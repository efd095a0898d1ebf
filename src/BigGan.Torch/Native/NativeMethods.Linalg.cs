using System.Runtime.InteropServices;

namespace BigGan.Torch.Native;

// linear algebra (native/src/linalg.cpp)
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int bgn_linalg_eigh(TensorHandle a, int computeVectors, out TensorHandle eigenvalues, out TensorHandle eigenvectors);
}
