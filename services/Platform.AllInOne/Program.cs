using Platform.AllInOne.Demo;
using Platform.Digest;
using Platform.History;
using Platform.Ingest;
using Platform.Notifier;
using Platform.Retry;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddIngest();
builder.AddHistory();
builder.AddNotifier();
builder.AddRetry();
builder.AddDigest();
builder.AddDemoFeed();
builder.AddPlatformBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapIngest();
app.MapHistory();
app.MapNotifier();
app.MapRetry();
app.MapDigest();
return await app.RunPlatformAsync(args);
