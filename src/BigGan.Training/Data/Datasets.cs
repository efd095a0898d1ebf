namespace BigGan.Training.Data;

/// <summary>Opens a dataset from what a user types after --data: a name, a folder or an idx file.</summary>
public static class Datasets
{
    /// <summary>
    /// Opens <paramref name="spec"/>:
    /// <list type="bullet">
    /// <item><c>fashion-mnist</c> or <c>mnist</c>: the idx.gz files Debian's dataset packages install under
    /// <see cref="DatasetOptions.DatasetsRoot"/> (fashion-mnist comes from <c>apt-get install dataset-fashion-mnist</c>);</item>
    /// <item>an idx images file (…-images-idx3-ubyte[.gz] or …-images.idx3-ubyte[.gz]): the labels file is the one
    /// next to it with "images"→"labels" and "idx3"→"idx1" in its name;</item>
    /// <item>a CIFAR .bin batch file;</item>
    /// <item>a folder holding idx files (train-* / t10k-* or test-*) or CIFAR binaries (see
    /// <see cref="CifarDataset.FindFiles"/>): the split of <see cref="DatasetOptions.Split"/>;</item>
    /// <item>any other folder: an image folder, one subfolder per class.</item>
    /// </list>
    /// <paramref name="resolution"/> may be null for idx and CIFAR data (32×32), not for image folders.
    /// </summary>
    public static IImageDataset Open(string spec, int? resolution = null, DatasetOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(spec);
        options = (options ?? new DatasetOptions()).Validate();

        if (spec.Equals("fashion-mnist", StringComparison.OrdinalIgnoreCase) || spec.Equals("mnist", StringComparison.OrdinalIgnoreCase))
            return OpenPackaged(spec.ToLowerInvariant(), resolution, options);

        if (File.Exists(spec))
        {
            var name = Path.GetFileName(spec);
            if (name.Contains("idx3", StringComparison.OrdinalIgnoreCase))
                return OpenIdx(spec, LabelsFileFor(spec), resolution, options);
            if (name.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            {
                var variant = name.StartsWith("data_batch", StringComparison.OrdinalIgnoreCase) || name.StartsWith("test_batch", StringComparison.OrdinalIgnoreCase)
                    ? CifarVariant.Cifar10 : CifarVariant.Cifar100;
                return new CifarDataset([spec], variant, resolution, options);
            }
            throw new ArgumentException($"{spec}: not a dataset file: expected an idx images file (…-images-idx3-ubyte[.gz]) or a CIFAR .bin batch; image datasets are given as a folder with one subfolder per class", nameof(spec));
        }

        if (Directory.Exists(spec))
        {
            if (FindIdx(spec, options.Split) is { } idx)
                return OpenIdx(idx.images, idx.labels, resolution, options);
            if (CifarDataset.FindFiles(spec, options.Split) is { } cifar)
                return new CifarDataset(cifar.files, cifar.variant, resolution, options);
            if (resolution is null)
                throw new ArgumentException($"{spec}: an image folder needs a resolution (the size images are cropped and resized to)", nameof(resolution));
            return new ImageFolderDataset(spec, resolution.Value, options);
        }

        throw new FileNotFoundException($"dataset not found: {spec} is neither a folder, a file, nor one of the names fashion-mnist, mnist", spec);
    }

    /// <summary>The labels file that belongs to an idx images file, by the standard naming.</summary>
    public static string LabelsFileFor(string imagesPath)
    {
        var dir = Path.GetDirectoryName(imagesPath) ?? "";
        var name = Path.GetFileName(imagesPath);
        var labels = name.Replace("images", "labels", StringComparison.OrdinalIgnoreCase).Replace("idx3", "idx1", StringComparison.OrdinalIgnoreCase);
        if (labels == name)
            throw new ArgumentException($"{imagesPath}: cannot derive the labels file name (expected \"images\" and \"idx3\" in the name, as train-images-idx3-ubyte.gz)", nameof(imagesPath));
        var path = Path.Combine(dir, labels);
        if (File.Exists(path)) return path;
        // The other compression of the same file is fine too.
        var alt = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path + ".gz";
        if (File.Exists(alt)) return alt;
        throw new FileNotFoundException($"{imagesPath}: its labels file {path} is missing (the images and labels idx files must lie side by side)", path);
    }

    private static IImageDataset OpenPackaged(string name, int? resolution, DatasetOptions options)
    {
        var folder = Path.Combine(options.DatasetsRoot, name);
        var idx = Directory.Exists(folder) ? FindIdx(folder, options.Split) : null;
        if (idx is null)
        {
            string split = options.Split == DatasetSplit.Train ? "train" : "t10k";
            string install = name == "fashion-mnist"
                ? "install it with: apt-get install dataset-fashion-mnist"
                : "Debian does not package MNIST: download its four idx files into a folder and pass that folder (Fashion-MNIST comes with: apt-get install dataset-fashion-mnist)";
            throw new FileNotFoundException($"{name} not found: {folder} has no {split}-images-idx3-ubyte.gz and {split}-labels-idx1-ubyte.gz; {install}", folder);
        }
        return OpenIdx(idx.Value.images, idx.Value.labels, resolution, options, name == "fashion-mnist");
    }

    private static IdxDataset OpenIdx(string images, string labels, int? resolution, DatasetOptions options, bool? fashion = null)
    {
        // Fashion-MNIST and MNIST share the file names; the folder name tells them apart.
        fashion ??= Path.GetFullPath(images).Contains("fashion", StringComparison.OrdinalIgnoreCase);
        var names = options.NumClasses is null or 10 ? (fashion.Value ? IdxDataset.FashionMnistClassNames : IdxDataset.MnistClassNames) : null;
        return new IdxDataset(images, labels, resolution, options, names);
    }

    /// <summary>The images and labels files of one split in a folder of idx files, or null.</summary>
    private static (string images, string labels)? FindIdx(string folder, DatasetSplit split)
    {
        var prefixes = split == DatasetSplit.Train ? new[] { "train" } : ["t10k", "test"];
        var candidates = Directory.GetFiles(folder)
            .Where(f =>
            {
                var n = Path.GetFileName(f);
                return prefixes.Any(p => n.StartsWith(p + "-images", StringComparison.OrdinalIgnoreCase))
                       && n.Contains("idx3", StringComparison.OrdinalIgnoreCase);
            })
            .Order(StringComparer.Ordinal)
            .ToArray();
        if (candidates.Length == 0) return null;
        // Prefer the raw file when both raw and .gz lie there (it reads faster); they hold the same data.
        var images = candidates.FirstOrDefault(f => !f.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)) ?? candidates[0];
        return (images, LabelsFileFor(images));
    }
}
