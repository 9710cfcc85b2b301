// The GPU kit's check (tools/gpu/README.md): what the library does on a CUDA device, each measurement one "RESULT {json}" line.
//   GpuCheck info
//   GpuCheck agree DEVICE                                  CPU versus DEVICE forward of the same weights, TF32 off
//   GpuCheck train FOLDER MODEL SIZE BATCH EPOCHS DEVICE   the trainer's images/s per epoch and its accuracy
//   GpuCheck featurize FOLDER MODEL SIZE BATCH DEVICE      the featurizer's images/s through Transform
//   GpuCheck bf16 MODEL SIZE BATCH DEVICE                  forward images/s in float32 and bfloat16
using System.Diagnostics;
using System.Text.Json;
using Microsoft.ML;
using Microsoft.ML.Data;
using MLNet.CSP.Models;
using MLNet.CSP.Pipelines;
using MLNet.CSP.Pipelines.Classification;
using MLNet.CSP.Pipelines.Featurizer;
using TorchSharp;
using static TorchSharp.torch;

return args.FirstOrDefault() switch
{
    "info" => Info(),
    "agree" when args.Length == 2 => Agree(args[1]),
    "train" when args.Length == 7 => Train(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]), int.Parse(args[5]), args[6]),
    "featurize" when args.Length == 6 => Featurize(args[1], args[2], int.Parse(args[3]), int.Parse(args[4]), args[5]),
    "bf16" when args.Length == 5 => Bf16(args[1], int.Parse(args[2]), int.Parse(args[3]), args[4]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("GpuCheck info | agree DEVICE | train FOLDER MODEL SIZE BATCH EPOCHS DEVICE | featurize FOLDER MODEL SIZE BATCH DEVICE | bf16 MODEL SIZE BATCH DEVICE");
    return 2;
}

static void Result(string kind, object values) =>
    Console.WriteLine("RESULT " + JsonSerializer.Serialize(new Dictionary<string, object> { ["check"] = kind, ["values"] = values }));

static void Synchronize(Device device)
{
    if (device.type == DeviceType.CUDA) torch.cuda.synchronize(device);
}

static int Info()
{
    torch.InitializeDeviceType(DeviceType.CPU);
    bool cuda = false;
    string? why = null;
    try
    {
        torch.InitializeDeviceType(DeviceType.CUDA);
        cuda = torch.cuda.is_available();
    }
    catch (Exception e)
    {
        why = e.Message.Split('\n')[0];
    }
    Result("info", new
    {
        torchsharp = typeof(torch).Assembly.GetName().Version?.ToString(),
        cuda,
        devices = cuda ? torch.cuda.device_count() : 0,
        why,
        threads = torch.get_num_threads(),
        processors = Environment.ProcessorCount,
    });
    return cuda ? 0 : 1;
}

/// <summary>Seeded weights with random norms (the reference init zeroes each block's last norm), eval mode.</summary>
static Backbone Seeded(string model, int classes)
{
    torch.manual_seed(11);
    var net = Backbones.Create(model, classes);
    using var noGrad = torch.no_grad();
    foreach (var norm in net.modules().OfType<TorchSharp.Modules.BatchNorm2d>())
    {
        norm.weight!.uniform_(0.5, 1.5);
        norm.bias!.normal_(0, 0.1);
        norm.running_mean!.normal_(0, 0.1);
        norm.running_var!.uniform_(0.5, 1.5);
    }
    net.eval();
    return net;
}

static int Agree(string deviceName)
{
    var device = torch.device(deviceName);
    if (device.type == DeviceType.CUDA)
    {
        torch.InitializeDeviceType(DeviceType.CUDA);
        torch.backends.cuda.matmul.allow_tf32 = false;
        torch.backends.cudnn.allow_tf32 = false;
    }
    int failures = 0;
    foreach (var (model, size) in new[] { ("cs3darknet_s", 224), ("cspresnet50", 224), ("cspdarknet53", 256), ("densenet121", 224), ("cs3darknet_s", 32) })
    {
        using var scope = torch.NewDisposeScope();
        using var cpu = Seeded(model, 10);
        var x = torch.randn(4, 3, size, size, generator: new torch.Generator(5));
        Tensor expected;
        using (torch.no_grad()) expected = cpu.forward(x);
        using var other = Seeded(model, 10);
        other.to(device);
        Tensor actual;
        using (torch.no_grad()) actual = other.forward(x.to(device)).cpu();
        double relative = (actual - expected).norm().item<float>() / Math.Max(1e-30, expected.norm().item<float>());
        double worst = (actual - expected).abs().max().item<float>();
        bool ok = relative <= 1e-3;
        if (!ok) failures++;
        Result("agree", new { model, size, device = deviceName, relativeL2 = relative, largestDifference = worst, largestLogit = expected.abs().max().item<float>(), withinLimit = ok });
    }
    return failures == 0 ? 0 : 1;
}

static IDataView Folder(MLContext ml, string folder)
{
    var rows = Directory.GetDirectories(folder).Order(StringComparer.Ordinal)
        .SelectMany(d => Directory.GetFiles(d, "*.png").Order(StringComparer.Ordinal).Select(f => new Row { ImagePath = f, Label = Path.GetFileName(d) }))
        .ToList();
    var data = ml.Data.LoadFromEnumerable(rows);
    return ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.Transforms.LoadImages("Image", null, "ImagePath")).Fit(data).Transform(data);
}

static int Train(string folder, string model, int size, int batch, int epochs, string deviceName)
{
    var ml = new MLContext(seed: 1);
    var data = Folder(ml, folder);
    var split = ml.Data.TrainTestSplit(data, 0.2, seed: 1);
    var peak = 0L;
    var rates = new List<double>();
    var options = new CspImageClassificationTrainer.Options
    {
        Architecture = model, ImageSize = size, CropFraction = 1.0, BatchSize = batch, Epochs = epochs, Device = deviceName,
        InferenceEngine = InferenceEngine.TorchSharp,
        MetricsCallback = m =>
        {
            rates.Add(m.ImagesPerSecond);
            peak = Math.Max(peak, Environment.WorkingSet);
            Result("epoch", new { model, size, batch, device = deviceName, epoch = m.Epoch, imagesPerSecond = m.ImagesPerSecond, seconds = m.Elapsed.TotalSeconds });
        },
    };
    var watch = Stopwatch.StartNew();
    using var trained = ml.MulticlassClassification.Trainers.CspImageClassification(options).Fit(split.TrainSet);
    double fit = watch.Elapsed.TotalSeconds;
    var metrics = ml.MulticlassClassification.Evaluate(trained.Transform(split.TestSet));
    Result("train", new
    {
        model, size, batch, epochs, device = deviceName, fitSeconds = fit,
        slowestOfEpochs2On = rates.Skip(1).DefaultIfEmpty(rates.LastOrDefault()).Min(),
        accuracy = metrics.MicroAccuracy, peakWorkingSetMB = peak / 1048576.0,
    });
    return 0;
}

static int Featurize(string folder, string model, int size, int batch, string deviceName)
{
    var ml = new MLContext(seed: 1);
    var data = Folder(ml, folder);
    using var featurizer = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
    {
        InputColumnName = "Image", OutputColumnName = "Features", Architecture = model, ImageSize = size, CropFraction = 1.0,
        BatchSize = batch, Device = deviceName, InferenceEngine = InferenceEngine.TorchSharp,
    }).Fit(data);
    long rows = featurizer.Transform(data).GetColumn<VBuffer<float>>("Features").Count(); // warm-up
    var times = new List<double>();
    for (int i = 0; i < 3; i++)
    {
        var watch = Stopwatch.StartNew();
        rows = featurizer.Transform(data).GetColumn<VBuffer<float>>("Features").Count();
        times.Add(rows / watch.Elapsed.TotalSeconds);
    }
    Result("featurize", new { model, size, batch, device = deviceName, rows, imagesPerSecond = times.Order().ElementAt(1) });
    return 0;
}

static int Bf16(string model, int size, int batch, string deviceName)
{
    var device = torch.device(deviceName);
    if (device.type == DeviceType.CUDA) torch.InitializeDeviceType(DeviceType.CUDA);
    foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
    {
        try
        {
            using var net = Seeded(model, 1000);
            net.to(device);
            if (dtype != ScalarType.Float32) net.to(dtype);
            using var x = torch.randn(batch, 3, size, size).to(device).to(dtype);
            double Run()
            {
                using var noGrad = torch.no_grad();
                Synchronize(device);
                var watch = Stopwatch.StartNew();
                for (int i = 0; i < 10; i++)
                {
                    using var scope = torch.NewDisposeScope();
                    net.forward(x);
                }
                Synchronize(device);
                return 10.0 * batch / watch.Elapsed.TotalSeconds;
            }
            Run();
            Result("forward", new { model, size, batch, device = deviceName, dtype = dtype.ToString(), imagesPerSecond = Math.Max(Run(), Run()) });
        }
        catch (Exception e)
        {
            Result("forward", new { model, size, batch, device = deviceName, dtype = dtype.ToString(), error = e.Message.Split('\n')[0] });
        }
    }
    return 0;
}

internal sealed class Row
{
    public string ImagePath { get; set; } = "";

    public string Label { get; set; } = "";
}
