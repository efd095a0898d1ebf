using BigGan.Torch;

// Placeholder until the trainer lands: prints versions and runs a smoke computation.
Console.WriteLine($"biggan: libtorch {torch.__version__}, {torch.get_num_threads()} threads, CUDA {(torch.cuda.is_available() ? "available" : "not available")}");
using var a = torch.randn(new long[] { 64, 64 });
using var b = a.mm(a.t());
Console.WriteLine($"smoke: (64x64 @ 64x64ᵀ) trace = {b.diagonal().sum().item<float>():F3}");
