using Platform.Retry;
using Platform.ServiceDefaults;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddRetry();
builder.AddPlatformBus();

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapRetry();
return await app.RunPlatformAsync(args);
