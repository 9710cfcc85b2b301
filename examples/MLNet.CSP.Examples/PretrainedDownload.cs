using MLNet.CSP.Examples.Commands;
using MLNet.CSP.Models;
using MLNet.CSP.Weights.Hub;
using Spectre.Console;

/// <summary>Fetches the published weights of <c>--pretrained</c> before training, with a progress bar (a cache hit is instant).</summary>
internal static class PretrainedDownload
{
    /// <summary>Downloads when asked to and returns whether the run starts from pretrained weights.</summary>
    public static bool Prepare(DataSettings settings)
    {
        if (!settings.Pretrained || settings.Weights is not null) return false;
        var weights = PretrainedTags.Weights(settings.Architecture)
            ?? throw new InvalidOperationException($"'{settings.Architecture}' has no published weights. These do: {string.Join(", ", PretrainedTags.WithWeights())}.");
        string path = AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn())
            .Start(context =>
            {
                var task = context.AddTask(Markup.Escape(weights.Repository));
                var progress = new Progress<HubDownloadProgress>(p =>
                {
                    if (p.Total is long total) task.MaxValue = total;
                    task.Value = p.Bytes;
                });
                string file = HubDownloads.Download(weights, new HubOptions { Progress = progress });
                task.Value = task.MaxValue;
                return file;
            });
        AnsiConsole.MarkupLine($"Pretrained weights: [grey]{Markup.Escape(path)}[/]");
        return true;
    }
}
