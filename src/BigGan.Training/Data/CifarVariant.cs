namespace BigGan.Training.Data;

/// <summary>The two CIFAR binary layouts.</summary>
public enum CifarVariant
{
    /// <summary>data_batch_1..5.bin and test_batch.bin: 1 label byte + 3072 pixel bytes per record, 10 classes.</summary>
    Cifar10,

    /// <summary>train.bin and test.bin: a coarse and a fine label byte + 3072 pixel bytes per record; the fine label (100 classes) is used.</summary>
    Cifar100,
}
