using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>Image I/O and grids, shaped like torchvision. Images are uint8 CHW tensors with RGB channel order.</summary>
public static class torchvision
{
    public enum ImageReadMode { UNCHANGED = 0, GRAY = 1, RGB = 3 }

    public static class io
    {
        /// <summary>Decodes PNG, JPEG, BMP or WebP bytes into a uint8 [C, H, W] tensor.</summary>
        public static unsafe Tensor decode_image(ReadOnlySpan<byte> data, ImageReadMode mode = ImageReadMode.UNCHANGED)
        {
            if (data.IsEmpty) throw new ArgumentException("image data is empty", nameof(data));
            fixed (byte* p = data)
            {
                Check(N.bgn_image_decode(p, data.Length, (int)mode, out var h));
                return new Tensor(h);
            }
        }

        /// <summary>Reads and decodes an image file; a corrupt or truncated file fails with its path in the message.</summary>
        public static Tensor read_image(string path, ImageReadMode mode = ImageReadMode.UNCHANGED)
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"image file not found: {path}", path);
            try { return decode_image(File.ReadAllBytes(path), mode); }
            catch (ArgumentException e) { throw new InvalidDataException($"{path}: {e.Message}", e); }
        }

        /// <summary>PNG bytes of a uint8 [1 or 3, H, W] tensor.</summary>
        public static byte[] encode_png(Tensor image)
        {
            Check(N.bgn_image_encode_png(image.Handle, out var h));
            using var bytes = new Tensor(h).DetachFromDisposeScope();
            return bytes.data<byte>();
        }

        /// <summary>Writes a PNG atomically.</summary>
        public static void write_png(Tensor image, string path) => AtomicFile.WriteAllBytes(path, encode_png(image));
    }

    public static class transforms
    {
        public static class functional
        {
            public enum InterpolationMode { NEAREST = 0, BILINEAR = 1, AREA = 2 }

            /// <summary>Resizes a uint8 or float32 [C, H, W] image.</summary>
            public static Tensor resize(Tensor image, long height, long width, InterpolationMode interpolation = InterpolationMode.BILINEAR)
            {
                Check(N.bgn_image_resize(image.Handle, height, width, (int)interpolation, out var h));
                return new Tensor(h);
            }

            /// <summary>The central height×width region of a [C, H, W] image.</summary>
            public static Tensor center_crop(Tensor image, long height, long width)
            {
                var s = image.shape;
                if (s.Length != 3) throw new ArgumentException($"center_crop expects [C, H, W], got {s.Length} dimensions", nameof(image));
                if (height > s[1] || width > s[2]) throw new ArgumentException($"crop {height}x{width} is larger than the image {s[1]}x{s[2]}");
                using var rows = image.narrow(1, (s[1] - height) / 2, height);
                return rows.narrow(2, (s[2] - width) / 2, width);
            }
        }
    }

    public static class utils
    {
        /// <summary>
        /// Tiles a batch [N, C, H, W] into one image [C, rows*(H+p)+p, nrow*(W+p)+p] with padding p of pad_value.
        /// </summary>
        public static Tensor make_grid(Tensor batch, int nrow = 8, int padding = 2, double pad_value = 0)
        {
            var s = batch.shape;
            if (s.Length != 4) throw new ArgumentException($"make_grid expects [N, C, H, W], got {s.Length} dimensions", nameof(batch));
            if (nrow < 1) throw new ArgumentOutOfRangeException(nameof(nrow), "nrow must be at least 1");
            long n = s[0], c = s[1], h = s[2], w = s[3];
            long cols = Math.Min(nrow, Math.Max(n, 1)), rows = (n + cols - 1) / cols;
            using var scope = torch.NewDisposeScope();
            var grid = torch.full([c, rows * (h + padding) + padding, cols * (w + padding) + padding], pad_value, batch.dtype);
            for (long i = 0; i < n; i++)
            {
                long r = i / cols, col = i % cols;
                using var cell = grid.narrow(1, r * (h + padding) + padding, h).narrow(2, col * (w + padding) + padding, w);
                cell.copy_(batch[i]);
            }
            return grid.MoveToOuterDisposeScope();
        }

        /// <summary>
        /// Saves a batch as one PNG grid. Float images are mapped from value_range (default [-1, 1], the generator's
        /// tanh range) to [0, 255]; uint8 images are written as they are.
        /// </summary>
        public static void save_image(Tensor batch, string path, int nrow = 8, int padding = 2, (double lo, double hi)? value_range = null)
        {
            using var scope = torch.NewDisposeScope();
            var grid = make_grid(batch, nrow, padding, batch.dtype == ScalarType.Byte ? 0 : (value_range?.lo ?? -1));
            var bytes = grid.dtype == ScalarType.Byte ? grid : to_uint8(grid, value_range ?? (-1, 1));
            io.write_png(bytes, path);
        }

        /// <summary>Maps [lo, hi] to [0, 255], rounding and clamping.</summary>
        public static Tensor to_uint8(Tensor image, (double lo, double hi) value_range)
        {
            var (lo, hi) = value_range;
            if (!(hi > lo)) throw new ArgumentException("value_range needs hi > lo", nameof(value_range));
            using var scope = torch.NewDisposeScope();
            var scaled = image.sub(lo).mul(255.0 / (hi - lo)).round_().clamp_(0, 255).to(ScalarType.Byte);
            return scaled.MoveToOuterDisposeScope();
        }
    }
}
