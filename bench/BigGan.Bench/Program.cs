Console.WriteLine("usage: BigGan.Bench ops|train|generate|dp [options]");
