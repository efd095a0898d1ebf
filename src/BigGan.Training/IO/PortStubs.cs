// TEMPORARY during the port: replaced by the real IO implementation at merge. Never lands.
namespace BigGan.Training.IO;
public enum ImageReadMode { Unchanged, Gray, Rgb }
public enum InterpolationMode { Nearest, Bilinear, Area }
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write) => throw new NotImplementedException();
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes) => throw new NotImplementedException();
    public static void WriteAllText(string path, string text) => throw new NotImplementedException();
}
public static class Safetensors
{
    public static void Save(IReadOnlyDictionary<string, Tensor> tensors, string path, IReadOnlyDictionary<string, string>? metadata = null) => throw new NotImplementedException();
    public static (OrderedDictionary<string, Tensor> tensors, Dictionary<string, string> metadata) Load(string path) => throw new NotImplementedException();
    public static Dictionary<string, string> ReadMetadata(string path) => throw new NotImplementedException();
}
public static class Images
{
    public static Tensor Decode(ReadOnlySpan<byte> data, ImageReadMode mode) => throw new NotImplementedException();
    public static Tensor Read(string path, ImageReadMode mode) => throw new NotImplementedException();
    public static byte[] EncodePng(Tensor image) => throw new NotImplementedException();
    public static void WritePng(Tensor image, string path) => throw new NotImplementedException();
    public static Tensor Resize(Tensor image, long height, long width, InterpolationMode interpolation = InterpolationMode.Bilinear) => throw new NotImplementedException();
    public static Tensor CenterCrop(Tensor image, long height, long width) => throw new NotImplementedException();
    public static Tensor MakeGrid(Tensor batch, int nrow = 8, int padding = 2, double padValue = 0) => throw new NotImplementedException();
    public static void SaveImage(Tensor batch, string path, int nrow = 8, int padding = 2, (double lo, double hi)? valueRange = null) => throw new NotImplementedException();
    public static Tensor ToUint8(Tensor image, (double lo, double hi) valueRange) => throw new NotImplementedException();
}
