using MLNet.CSP.Pipelines.Training;
using System.ComponentModel;
using System.Diagnostics;
using MLNet.CSP.Pipelines.Classification;
using Microsoft.ML;
using Spectre.Console.Cli;
using Spectre.Console;

namespace MLNet.CSP.Examples.Commands;

/// <summary>Train (or fine-tune) a CSP classifier on image folders with live progress, metrics and plots.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : DataSettings
    {
        [CommandOption("--epochs <N>")]
        [DefaultValue(5)]
        public int Epochs { get; set; } = 5;

        [CommandOption("--batch-size <N>")]
        [DefaultValue(64)]
        public int BatchSize { get; set; } = 64;

        [CommandOption("--learning-rate <LR>")]
        [DefaultValue(2e-3)]
        public double LearningRate { get; set; } = 2e-3;

        [CommandOption("--augment <KIND>")]
        [Description("None, HorizontalFlip or RandomResizedCropAndFlip.")]
        [DefaultValue(CspAugmentation.HorizontalFlip)]
        public CspAugmentation Augmentation { get; set; } = CspAugmentation.HorizontalFlip;

        [CommandOption("--resume")]
        [Description("Keep per-epoch checkpoints in <out>/checkpoints and resume an interrupted run from there.")]
        public bool Resume { get; set; }

        [CommandOption("--cache <MODE>")]
        [Description("Auto (cache while it fits the budget, else stream), Always (decode once, keep in memory) or Never (decode every epoch).")]
        [DefaultValue(CspCacheMode.Auto)]
        public CspCacheMode Cache { get; set; } = CspCacheMode.Auto;

        [CommandOption("--cache-budget-mb <MB>")]
        [Description("Memory the image cache may take under Auto (default: half of the available memory).")]
        public long? CacheBudgetMegabytes { get; set; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu, cuda or cuda:N (needs a CUDA libtorch package).")]
        public string? Device { get; set; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: settings.Seed);
        Directory.CreateDirectory(settings.Output);
        var (train, test, trainCount, testCount) = Datasets.Load(ml, settings);
        var keys = ml.Transforms.Conversion.MapValueToKey("Label").Fit(train);
        var classes = Reports.ClassNames(keys.Transform(train).Schema);
        AnsiConsole.MarkupLine($"Training [bold]{settings.Architecture}[/] at {settings.ImageSize}x{settings.ImageSize} on {trainCount} images ({classes.Length} classes), testing on {testCount}.");

        var epochs = new List<CspEpochMetrics>();
        var options = new CspImageClassificationTrainer.Options
        {
            Architecture = settings.Architecture,
            ImageSize = settings.ImageSize,
            CropFraction = 1.0,
            WeightsPath = settings.Weights,
            Pretrained = PretrainedDownload.Prepare(settings),
            Epochs = settings.Epochs,
            BatchSize = settings.BatchSize,
            LearningRate = settings.LearningRate,
            Augmentation = settings.Augmentation,
            Device = settings.Device,
            FallbackToCpu = true,
            ValidationSet = keys.Transform(test),
            CancellationToken = cancellationToken,
            CheckpointDirectory = settings.Resume ? Path.Combine(settings.Output, "checkpoints") : null,
            CacheMode = settings.Cache,
            CacheMemoryBudgetBytes = settings.CacheBudgetMegabytes * 1024 * 1024,
        };
        // How the images are held (cached or streamed, and why) is reported on ML.NET's log by the trainer's "Data" channel.
        ml.Log += (_, e) =>
        {
            if (e.Source.EndsWith("Data", StringComparison.Ordinal) && e.Kind is Microsoft.ML.Runtime.ChannelMessageKind.Info or Microsoft.ML.Runtime.ChannelMessageKind.Warning)
                AnsiConsole.MarkupLine($"[grey]{Markup.Escape(e.RawMessage)}[/]");
        };
        var watch = Stopwatch.StartNew();
        ITransformer model = null!;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(progress =>
            {
                var task = progress.AddTask("epoch 1", maxValue: settings.Epochs);
                options.BatchCallback = b =>
                {
                    task.Description = $"epoch {b.Epoch}/{settings.Epochs} batch {b.Batch}/{b.Batches} loss {b.Loss:F3} acc {b.Accuracy:P1} {b.ImagesPerSecond:F0} img/s";
                    task.Value = b.Epoch - 1 + b.Batch / (double)b.Batches;
                };
                options.MetricsCallback = m =>
                {
                    epochs.Add(m);
                    AnsiConsole.MarkupLine(Markup.Escape(m.ToString()));
                };
                var pipeline = ml.Transforms.Conversion.MapValueToKey("Label").Append(ml.MulticlassClassification.Trainers.CspImageClassification(options));
                model = pipeline.Fit(train);
                task.Value = settings.Epochs;
            });
        AnsiConsole.MarkupLine($"Trained in {watch.Elapsed.TotalSeconds:F0} s.");

        var metrics = ml.MulticlassClassification.Evaluate(model.Transform(test));
        Reports.PrintMetrics(metrics, classes);
        string zip = Path.Combine(settings.Output, "model.zip");
        ml.Model.Save(model, train.Schema, zip);
        string curves = epochs.Count > 0 ? string.Join(", ", Reports.PlotTrainingCurves(epochs, settings.Output)) : "(no epochs ran: resumed a finished run)";
        string confusion = Reports.PlotConfusionMatrix(metrics, classes, settings.Output);
        AnsiConsole.MarkupLine($"Saved [bold]{Markup.Escape(zip)}[/], plots [bold]{Markup.Escape(curves)}[/] and [bold]{Markup.Escape(confusion)}[/].");
        return 0;
    }
}
