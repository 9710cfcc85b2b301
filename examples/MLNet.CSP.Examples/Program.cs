using System.Diagnostics;
using MLNet.CSP.Models;
using TorchSharp;

// MLNet.CSP example app. For now one command: `zoo` lists every backbone with its parameters, MACs and
// pretrained input size, and times one forward pass of each at its input size.
string command = args.Length > 0 ? args[0] : "zoo";
switch (command)
{
    case "zoo":
        ZooCommand.Run(args.Skip(1).ToArray());
        return 0;
    default:
        Console.Error.WriteLine($"Unknown command '{command}'. Commands: zoo [--no-forward] [--size N]");
        return 2;
}

internal static class ZooCommand
{
    public static void Run(string[] args)
    {
        bool forward = !args.Contains("--no-forward");
        int sizeIndex = Array.IndexOf(args, "--size");
        int? size = sizeIndex >= 0 && sizeIndex + 1 < args.Length ? int.Parse(args[sizeIndex + 1]) : null;

        Console.WriteLine($"MLNet.CSP backbone zoo (TorchSharp {typeof(torch).Assembly.GetName().Version}, {torch.get_num_threads()} threads)");
        Console.WriteLine();
        Console.WriteLine($"{"name",-18}{"params (M)",12}{"GMACs@224",11}{"input",7}{"crop",7}  {"interp",-9}{"features",9}{"forward ms",12}  reference");
        foreach (var name in Backbones.Names)
        {
            using var model = Backbones.Create(name);
            var complexity = ModelComplexity.Measure(model, 224, 224);
            var pretrained = model.Pretrained;
            string timing = "";
            if (forward)
            {
                int side = size ?? pretrained.InputSize;
                model.OptimizeForInference();
                using var noGrad = torch.no_grad();
                using var scope = torch.NewDisposeScope();
                var x = torch.randn(1, 3, side, side);
                model.forward(x); // warm-up
                var watch = Stopwatch.StartNew();
                var logits = model.forward(x);
                timing = $"{watch.Elapsed.TotalMilliseconds,10:F1}";
                if (logits.shape[1] != 1000) throw new InvalidOperationException("Unexpected logits shape.");
            }
            Console.WriteLine($"{name,-18}{complexity.Parameters / 1e6,12:F3}{complexity.Macs / 1e9,11:F3}{pretrained.InputSize,7}{pretrained.CropFraction,7:F3}  {pretrained.Interpolation,-9}{model.NumFeatures,9}{timing,12}  {Backbones.GetConfig(name).Reference}");
        }
    }
}
