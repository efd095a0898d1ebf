using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Text;
using BigGan.Testing;
using System.Text.Json.Nodes;
using BigGan.Training.Data;
using BigGan.Training.IO;
using BigGan.Training.Model;
using BigGan.Training.Sampling;
using BigGan.Training.Training;

namespace BigGan.Bench;

/// <summary>
/// `hostile [--idx-gib 3] [--keep]`: crafts each hostile input of issue 11's findings 2–4 in a temporary folder (a
/// 20000×20000 PNG bomb, an idx.gz that expands to gigabytes, idx headers announcing gigabytes, safetensors headers
/// claiming 1.5 and 2.2 GiB tensors (sparse files), g-ch 3000 / 100000 / 1000 in a checkpoint's metadata, NaN weights,
/// a flipped data byte) and loads it as the CLI does, in this process. One JSON line per case: seconds until the
/// refusal, the peak RSS during the case (VmHWM, reset before each case through /proc/self/clear_refs), whether it
/// was refused, the message, and whether it stayed within the 500 MB and 10 s.
/// </summary>
public sealed class HostileBenchmark : IBenchmark
{
    public string Name => "hostile";

    private const double MaxRssMb = 500, MaxSeconds = 10;

    public int Run(string[] args)
    {
        var o = Report.Options(args);
        long idxGib = o.Int("idx-gib", 3);
        torch.set_num_threads(1);
        var dir = Directory.CreateTempSubdirectory("biggan-hostile-").FullName;
        try
        {
            var cases = new List<(string name, Action craftAndLoad)>();
            var generator = WriteGenerator(dir);

            cases.Add(("png_bomb_20000x20000", () => LoadImageFolder(PngBomb(Path.Combine(dir, "png"), 20000, 20000))));
            var gz = Path.Combine(dir, "idxgz");
            cases.Add(("idx_gz_expands_to_gib", () => LoadIdx(IdxBomb(gz, idxGib << 30))));
            cases.Add(("idx_header_announces_2gib", () => LoadIdx(IdxHeaderOnly(Path.Combine(dir, "idxhdr"), int.MaxValue))));
            cases.Add(("safetensors_extra_tensor_2.2gib", () => LoadGenerator(Claim(generator, Path.Combine(dir, "extra"), "junk", (long)(2.2 * (1L << 30)), replaceLast: false))));
            cases.Add(("safetensors_tensor_1.5gib", () => LoadGenerator(Claim(generator, Path.Combine(dir, "shape"), "", 3L << 29, replaceLast: true))));
            foreach (var gch in new[] { 3000, 100_000, 1000 })
                cases.Add(($"config_g_ch_{gch}", () => LoadGenerator(WithGCh(generator, Path.Combine(dir, $"gch{gch}"), gch))));
            cases.Add(("nan_weights", () => LoadGenerator(WriteGenerator(Path.Combine(dir, "nan"), float.NaN))));
            cases.Add(("flipped_data_byte", () => LoadGenerator(Flipped(generator, Path.Combine(dir, "flip")))));

            foreach (var (name, craftAndLoad) in cases)
            {
                // crafting is not measured: it runs once in a warm-up pass that only writes the files
                _crafting = true;
                craftAndLoad();
                _crafting = false;
                GC.Collect();
                ResetPeakRss();
                var sw = Stopwatch.StartNew();
                string? error = null;
                try { craftAndLoad(); }
                catch (Exception e) { error = $"{e.GetType().Name}: {e.Message}"; }
                var seconds = sw.Elapsed.TotalSeconds;
                var peak = Report.PeakRssMb();
                Report.Figure($"hostile_{name}_s", seconds, "s", new Dictionary<string, object>
                {
                    ["refused"] = error is not null,
                    ["message"] = error is null ? "(accepted)" : error.Length > 400 ? error[..400] + "…" : error,
                    ["peak_rss_mb"] = Math.Round(peak, 1),
                    ["within_500mb_10s"] = peak < MaxRssMb && seconds < MaxSeconds,
                });
                foreach (var f in Directory.GetFiles(dir, "*", SearchOption.AllDirectories))
                    if (f != generator) File.Delete(f); // free the disk between cases
            }
            return 0;
        }
        finally
        {
            if (!o.ContainsKey("keep")) Directory.Delete(dir, recursive: true);
        }
    }

    // While true, the case actions only write their files; the loads are skipped.
    private static bool _crafting;

    private static void ResetPeakRss()
    {
        try { File.WriteAllText("/proc/self/clear_refs", "5"); } // 5: reset the peak RSS to the current RSS
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    private static readonly ModelConfig Tiny = new()
    {
        Resolution = 32, Channels = 3, NumClasses = 3, GCh = 2, DCh = 2, DimZ = 12, SharedEmbedding = true, Hierarchical = true, SharedDim = 4,
    };

    private static string WriteGenerator(string dir, float? poison = null)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, Checkpoint.GEmaFile);
        if (File.Exists(path) || (!_crafting && poison is not null)) return path;
        using var g = new BigGan.Training.Model.Generator(Tiny);
        using var scope = torch.NewDisposeScope();
        if (poison is { } value) using (torch.no_grad()) g.named_parameters().First().parameter.view(-1)[0] = value;
        Safetensors.Save(g.state_dict(), path, new Dictionary<string, string> { [Checkpoint.Keys.Config] = new RunConfig(Tiny, new TrainConfig()).ToJson() });
        return path;
    }

    private static void LoadGenerator(string path)
    {
        if (_crafting) return;
        using var sampler = BigGanSampler.Load(path);
        using var scope = torch.NewDisposeScope();
        sampler.Generate(torch.zeros([1, Tiny.DimZ]), torch.zeros([1], ScalarType.Int64));
    }

    private static void LoadImageFolder(string root)
    {
        if (!_crafting) _ = new ImageFolderDataset(root, 32);
    }

    private static void LoadIdx((string images, string labels) files)
    {
        if (!_crafting) _ = new IdxDataset(files.images, files.labels);
    }

    // ---- crafting ----

    private static (byte[] json, byte[] data) Split(string path)
    {
        var all = File.ReadAllBytes(path);
        var n = (int)BinaryPrimitives.ReadUInt64LittleEndian(all);
        return (all[8..(8 + n)], all[(8 + n)..]);
    }

    private static void WriteSafetensors(string path, JsonObject header, byte[] data, long sparseTail = 0)
    {
        var h = Encoding.UTF8.GetBytes(header.ToJsonString());
        using var fs = new FileStream(path, FileMode.Create);
        var len = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)h.Length);
        fs.Write(len);
        fs.Write(h);
        fs.Write(data);
        fs.SetLength(fs.Position + sparseTail);
    }

    // A copy of the generator file with one more (or a replaced last) tensor claiming `bytes` bytes, stored sparse.
    private static string Claim(string source, string dir, string name, long bytes, bool replaceLast)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, Checkpoint.GEmaFile);
        if (!_crafting) return path;
        var (json, data) = Split(source);
        var header = JsonNode.Parse(json)!.AsObject();
        header["__metadata__"]!.AsObject().Remove(Safetensors.ChecksumKey);
        if (replaceLast)
        {
            var last = header.Where(kv => kv.Key != "__metadata__").MaxBy(kv => (long)kv.Value!["data_offsets"]![0]!);
            data = data[..(int)(long)last.Value!["data_offsets"]![0]!];
            name = last.Key;
            header.Remove(name);
        }
        header[name] = new JsonObject { ["dtype"] = "U8", ["shape"] = new JsonArray(bytes), ["data_offsets"] = new JsonArray(data.Length, data.Length + bytes) };
        WriteSafetensors(path, header, data, bytes);
        return path;
    }

    private static string WithGCh(string source, string dir, int gch)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, Checkpoint.GEmaFile);
        if (!_crafting) return path;
        var (json, data) = Split(source);
        var header = JsonNode.Parse(json)!.AsObject();
        var meta = header["__metadata__"]!.AsObject();
        var config = JsonNode.Parse((string)meta[Checkpoint.Keys.Config]!)!.AsObject();
        config["model"]!["g-ch"] = gch;
        meta[Checkpoint.Keys.Config] = config.ToJsonString();
        WriteSafetensors(path, header, data);
        return path;
    }

    private static string Flipped(string source, string dir)
    {
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, Checkpoint.GEmaFile);
        if (!_crafting) return path;
        var bytes = File.ReadAllBytes(source);
        bytes[^5] ^= 0x01;
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] IdxHeader(int magic, params int[] dims)
    {
        var h = new byte[4 + 4 * dims.Length];
        BinaryPrimitives.WriteInt32BigEndian(h, magic);
        for (int i = 0; i < dims.Length; i++) BinaryPrimitives.WriteInt32BigEndian(h.AsSpan(4 + 4 * i), dims[i]);
        return h;
    }

    private static (string, string) IdxPaths(string dir)
    {
        Directory.CreateDirectory(dir);
        return (Path.Combine(dir, "train-images-idx3-ubyte.gz"), Path.Combine(dir, "train-labels-idx1-ubyte"));
    }

    // MNIST's header (60000 images of 28×28) followed by `bytes` zero bytes, gzip-compressed (a few MB).
    private static (string, string) IdxBomb(string dir, long bytes)
    {
        var (images, labels) = IdxPaths(dir);
        if (!_crafting) return (images, labels);
        using (var gz = new GZipStream(File.Create(images), CompressionLevel.SmallestSize))
        {
            gz.Write(IdxHeader(0x803, 60000, 28, 28));
            var block = new byte[1 << 20];
            for (long left = bytes; left > 0; left -= block.Length) gz.Write(block, 0, (int)Math.Min(block.Length, left));
        }
        File.WriteAllBytes(labels, [.. IdxHeader(0x801, 60000), .. new byte[60000]]);
        return (images, labels);
    }

    private static (string, string) IdxHeaderOnly(string dir, int count)
    {
        var (images, labels) = IdxPaths(dir);
        if (!_crafting) return (images, labels);
        using (var gz = new GZipStream(File.Create(images), CompressionLevel.SmallestSize)) gz.Write(IdxHeader(0x803, count, 28, 28));
        File.WriteAllBytes(labels, IdxHeader(0x801, count));
        return (images, labels);
    }

    // An image folder whose one class holds a width×height gray PNG of zeros (a few hundred KB on disk).
    private static string PngBomb(string root, int width, int height)
    {
        var path = Path.Combine(root, "class", "bomb.png");
        if (!_crafting) return root;
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var idat = new MemoryStream();
        using (var z = new ZLibStream(idat, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + width]; // filter 0, then zeros
            for (int y = 0; y < height; y++) z.Write(row);
        }
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth; color type 0 (gray), methods 0
        using var png = File.Create(path);
        png.Write(PngChunks.Signature);
        PngChunks.Write(png, "IHDR", ihdr);
        PngChunks.Write(png, "IDAT", idat.ToArray());
        PngChunks.Write(png, "IEND", []);
        return root;
    }
}
