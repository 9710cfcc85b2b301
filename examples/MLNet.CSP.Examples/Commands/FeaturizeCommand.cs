using System.Diagnostics;
using MLNet.CSP.Pipelines.Featurizer;
using Microsoft.ML;
using Spectre.Console.Cli;
using Spectre.Console;

namespace MLNet.CSP.Examples.Commands;

/// <summary>The frozen-backbone path: CSP features + a linear ML.NET classifier.</summary>
public sealed class FeaturizeCommand : Command<DataSettings>
{
    public override int Execute(CommandContext context, DataSettings settings, CancellationToken cancellationToken)
    {
        var ml = new MLContext(seed: settings.Seed);
        Directory.CreateDirectory(settings.Output);
        var (train, test, trainCount, testCount) = Datasets.Load(ml, settings);
        AnsiConsole.MarkupLine($"Featurizing with [bold]{settings.Architecture}[/] ({(settings.Weights is not null ? Markup.Escape(settings.Weights) : settings.Pretrained ? "published ImageNet weights" : "random weights from the seed")}) and training LbfgsMaximumEntropy on {trainCount} images; testing on {testCount}.");
        var pipeline = ml.Transforms.CspFeaturize(new CspFeaturizerOptions
        {
            InputColumnName = "Image",
            OutputColumnName = "Features",
            Architecture = settings.Architecture,
            WeightsPath = settings.Weights,
            Pretrained = PretrainedDownload.Prepare(settings),
            ImageSize = settings.ImageSize,
            CropFraction = 1.0,
        })
            .Append(ml.Transforms.NormalizeMinMax("Features"))
            .Append(ml.Transforms.Conversion.MapValueToKey("Label"))
            .Append(ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy());
        var watch = Stopwatch.StartNew();
        var model = AnsiConsole.Status().Start("Featurizing and training...", _ => pipeline.Fit(train));
        AnsiConsole.MarkupLine($"Fitted in {watch.Elapsed.TotalSeconds:F0} s.");
        var scored = model.Transform(test);
        var metrics = ml.MulticlassClassification.Evaluate(scored);
        var classes = Reports.ClassNames(scored.Schema);
        Reports.PrintMetrics(metrics, classes);
        string zip = Path.Combine(settings.Output, "featurizer-model.zip");
        ml.Model.Save(model, train.Schema, zip);
        string confusion = Reports.PlotConfusionMatrix(metrics, classes, settings.Output);
        AnsiConsole.MarkupLine($"Saved [bold]{Markup.Escape(zip)}[/] and [bold]{Markup.Escape(confusion)}[/].");
        return 0;
    }
}
